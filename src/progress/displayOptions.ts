import { z } from 'zod';
import { isObject } from '../core/isObject.js';

const streamSchema = z.custom<NodeJS.WritableStream>((value) => isObject(value) && typeof value['write'] === 'function', {
  message: 'expected a writable stream',
});

/** How a run shows itself in the terminal; part of every run's options. */
export const displayOptionsSchema = z.strictObject({
  /** `auto`: a bar on a TTY, plain lines otherwise; `none`: nothing printed. */
  display: z.enum(['auto', 'tty', 'plain', 'none']).default('auto'),
  stream: streamSchema.optional(),
  progressChar: z.string().min(1).default('█'),
  emptyChar: z.string().min(1).default('░'),
  barLength: z.number().int().min(5).max(200).default(20),
  displayErrors: z.boolean().default(true),
  /** Minimum time between TTY redraws. */
  throttleMs: z.number().int().min(0).default(250),
  /** Non-TTY: one line every this many percent. */
  updateInterval: z.number().min(1).max(100).default(10),
});

export type DisplayOptions = z.output<typeof displayOptionsSchema>;
