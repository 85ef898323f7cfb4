import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/api-logs';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { isObject } from '../core/isObject.js';
import { providerSchema } from '../core/parseOptions.js';
import { displayOptionsSchema } from '../progress/displayOptions.js';
import type { RunRegistry } from '../core/RunRegistry.js';

/**
 * Every option of every surface, with its default, in one place. Checked at
 * construction: a wrong option throws one message naming the field, what was
 * expected and what was given.
 */

const clockSchema = z.custom<Clock>((value) => isObject(value) && typeof value['now'] === 'function', {
  message: 'expected an object with a now() method',
});
const registrySchema = z.custom<RunRegistry>((value) => isObject(value) && typeof value['add'] === 'function', {
  message: 'expected a RunRegistry',
});

export const metadataSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const telemetryOptionsSchema = z.strictObject({
  /** Defaults to the global providers at run start (a no-op until an SDK is installed). */
  tracerProvider: providerSchema<TracerProvider>('getTracer').optional(),
  meterProvider: providerSchema<MeterProvider>('getMeter').optional(),
  loggerProvider: providerSchema<LoggerProvider>('getLogger').optional(),
  /** Chunks in one trace before the run continues in a linked trace. */
  maxChunksPerTrace: z.number().int().min(1).default(500),
  /** Age of one trace before the run continues in a linked trace (ms). Tail samplers decide within seconds to minutes. */
  maxTraceAgeMs: z.number().int().min(1000).default(10 * 60_000),
  /** Share of tracked items that get their own span. */
  itemSpanRatio: z.number().min(0).max(1).default(0),
  /** One `batch.chunk.completed` log event per chunk. */
  chunkEvents: z.boolean().default(true),
  /** Exceptions also as span events (deprecated in semconv 1.40). */
  exceptionSpanEvents: z.boolean().default(false),
});

/**
 * In-process alert thresholds (the `createBatchProgress` groups and the file-progress tracker's); every alert fires once per episode
 * and resolves with hysteresis (the condition must fall back clearly, by a fifth of its margin).
 * Counts are capped: the evaluator keeps rings of these sizes.
 */
export const alertOptionsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** An episode lasts at least this long before it can resolve: a condition hovering at its threshold raises at most one alert per this period. */
  minEpisodeMs: z.number().int().min(0).default(30_000),
  /** rate_limit: more than `hits` rate-limit responses within `windowMs`. */
  rateLimit: z.strictObject({ hits: z.number().int().min(1).max(10_000).default(5), windowMs: z.number().int().min(1000).default(15 * 60_000) }).default(() => ({ hits: 5, windowMs: 15 * 60_000 })),
  /** high_error_rate: errors over items above `ratio`, once `minItems` were processed. */
  highErrorRate: z.strictObject({ ratio: z.number().gt(0).max(1).default(0.1), minItems: z.number().int().min(1).default(20) }).default(() => ({ ratio: 0.1, minItems: 20 })),
  /** slow_performance: median of the last `recentChunks` chunk times over the median of the run's first `baselineChunks` above `factor` (the slowdown factor). */
  slowPerformance: z.strictObject({ factor: z.number().gt(1).default(2), baselineChunks: z.number().int().min(1).max(10_000).default(5), recentChunks: z.number().int().min(1).max(10_000).default(5) }).default(() => ({ factor: 2, baselineChunks: 5, recentChunks: 5 })),
  /** low_throughput: items per second below this after the first baseline chunks; off unless set. */
  lowThroughput: z.strictObject({ itemsPerSecond: z.number().gt(0).optional() }).default(() => ({})),
  /** eta_deviation: the estimated completion time moved by more than `percent` of the remaining time; resolved once it held still for `stableMs`. */
  etaDeviation: z.strictObject({ percent: z.number().gt(0).default(50), stableMs: z.number().int().min(0).default(60_000) }).default(() => ({ percent: 50, stableMs: 60_000 })),
  /** quality_degradation: average of the last quality scores below `threshold`, after `minSamples`. */
  qualityDegradation: z.strictObject({ threshold: z.number().gt(0).max(1).default(0.7), minSamples: z.number().int().min(1).max(10_000).default(10) }).default(() => ({ threshold: 0.7, minSamples: 10 })),
  /** stalled: no progress for `afterMs` while the run is active. */
  stalled: z.strictObject({ afterMs: z.number().int().min(1000).default(5 * 60_000) }).default(() => ({ afterMs: 5 * 60_000 })),
});

export type AlertOptions = z.output<typeof alertOptionsSchema>;
export type AlertOptionsInput = z.input<typeof alertOptionsSchema>;

const operationSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 characters of letters, digits and _ . : - (a low-cardinality identifier)');

export const runOptionsSchema = z.strictObject({
  name: z.string().min(1, 'expected a non-empty string'),
  total: z.number().int().min(0).optional(),
  /** Low-cardinality identifier; defaults to the name made into a slug. */
  operation: operationSchema.optional(),
  category: z.string().min(1).max(64).optional(),
  service: z.string().min(1).max(128).optional(),
  metadata: metadataSchema.default({}),
  id: z.string().min(1).max(128).optional(),
  /** `none` turns ETA work off. */
  eta: z.enum(['linear', 'exponential', 'adaptive', 'none']).default('adaptive'),
  clock: clockSchema.optional(),
  registry: registrySchema.optional(),
  telemetry: telemetryOptionsSchema.default(() => telemetryOptionsSchema.parse({})),
  alerts: alertOptionsSchema.default(() => alertOptionsSchema.parse({})),
  ...displayOptionsSchema.shape,
});

export type RunOptionsInput = z.input<typeof runOptionsSchema>;
export type RunOptions = z.output<typeof runOptionsSchema>;
export type TelemetryOptionsInput = z.input<typeof telemetryOptionsSchema>;

export const retryOptionsSchema = z.strictObject({
  /** Attempts per chunk including the first. */
  attempts: z.number().int().min(1).max(100).default(1),
  baseDelayMs: z.number().min(0).default(250),
  maxDelayMs: z.number().min(0).default(30_000),
  /** Which failures to retry; default: rate limits, 5xx, timeouts and network errors. */
  retryOn: z.custom<(error: unknown) => boolean>((value) => typeof value === 'function', { message: 'expected a function' }).optional(),
});

export const processOptionsSchema = z.strictObject({
  batchSize: z.number().int().min(1).default(1),
  concurrency: z.number().int().min(1).max(1024).default(1),
  signal: z.custom<AbortSignal>((value) => isObject(value) && typeof value['aborted'] === 'boolean', { message: 'expected an AbortSignal' }).optional(),
  retry: retryOptionsSchema.default(() => retryOptionsSchema.parse({})),
  /** Whole-run deadline; the run ends with result `timeout`. */
  timeoutMs: z.number().int().min(1).optional(),
  /** Stop after the first chunk that still fails after its retries. */
  stopOnError: z.boolean().default(false),
});

export type ProcessOptionsInput = z.input<typeof processOptionsSchema>;
export type ProcessOptions = z.output<typeof processOptionsSchema>;
