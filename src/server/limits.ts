/**
 * Lengths the server keeps to, whatever the app or a client hands it: strings
 * it stores, sends in responses and live events, and echoes in errors are cut
 * to these (with a trailing `…`), so one huge run name or request field costs
 * a bounded amount of memory and bandwidth per event.
 */
export const LIMITS = {
  /** Run name, characters. */
  name: 256,
  /** Operation and category, characters. */
  label: 128,
  /** One error type (a key of errorsByType), characters. */
  errorType: 128,
  /** Error types listed per run (the most frequent). */
  errorTypes: 50,
  /** Any text in an error response (message, path, expected, received), characters. */
  errorText: 300,
  /** Problems listed in one error response. */
  errorDetails: 20,
} as const;

/** `text` cut to `max` characters, marked with `…` when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
