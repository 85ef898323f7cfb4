import { isObject, v, type Output } from '../core/check.js';

/** What a display writes to: `process.stderr` or any object with `write(text)`. */
export interface WritableTextStream {
  write(chunk: string): unknown;
}

const streamSchema = v.custom<WritableTextStream>((value) => isObject(value) && typeof value['write'] === 'function', 'expected a writable stream');

/** How a run shows itself in the terminal; part of every run's options. */
export const displayOptionsSchema = v.strictObject({
  /** `auto`: a bar on a TTY, plain lines otherwise; `none`: nothing printed. */
  display: v.enum(['auto', 'tty', 'plain', 'none']).default('auto'),
  stream: streamSchema.optional(),
  progressChar: v.string().min(1).default('█'),
  emptyChar: v.string().min(1).default('░'),
  barLength: v.number().int().min(5).max(200).default(20),
  displayErrors: v.boolean().default(true),
  /** Minimum time between TTY redraws. */
  throttleMs: v.number().int().min(0).default(250),
  /** Non-TTY: one line every this many percent. */
  updateInterval: v.number().min(1).max(100).default(10),
});

export type DisplayOptions = Output<typeof displayOptionsSchema>;
