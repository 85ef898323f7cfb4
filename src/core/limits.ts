/**
 * How much of what callers pass is kept. Everything stored or sent (spans, logs,
 * the registry, the control server's stream, the terminal) is cut here, at the
 * source, so one 10 MB name costs 256 characters, not 10 MB per event.
 * The "Limits" section of docs/configuration.md lists these.
 */
export const LIMITS = {
  /** Run name. */
  name: 256,
  /** Each message shown with update()/message(). */
  message: 1024,
  /** Messages kept per update (the last ones). */
  messages: 16,
  /** Metadata entries per run. */
  metadataEntries: 64,
  /** Metadata key. */
  metadataKey: 64,
  /** Each metadata string value. */
  metadataValue: 1024,
  /** Error message (exception.message). */
  errorMessage: 4096,
  /** Stack trace (exception.stacktrace). */
  stack: 16_384,
  /** error.type and exception.type. */
  errorType: 128,
  /** Item id and stage of item-level tracking. */
  itemId: 256,
  /** finish() message. */
  finishMessage: 4096,
  /** One usage amount (tokens or cost) per call: beyond it the value is ignored, so sums stay finite. */
  amount: 1e12,
} as const;

/** A string of at most `max` characters (cut ones end with "…"); anything else made into one without throwing. */
export function safeText(value: unknown, max: number): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = typeof value === 'symbol' ? value.toString() : String(value);
    } catch {
      text = '[unprintable]';
    }
  }
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
