import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/api-logs';
import type { Clock } from '../core/clock.js';
import type { RunRegistry } from '../core/RunRegistry.js';
import { isObject, providerSchema, type StrictObject, v, type Input, type Output, type Schema } from '../core/check.js';
import { registerOptionsPlace } from '../core/parseOptions.js';
import { displayOptionsSchema } from '../progress/displayOptions.js';

/**
 * Every option of every surface, with its default, in one place. Checked at
 * construction: a wrong option throws one message naming the field, what was
 * expected and what was given, and where a known option put in the wrong place belongs.
 */

const clockSchema = v.custom<Clock>((value) => isObject(value) && typeof value['now'] === 'function', 'expected an object with a now() method');
const registrySchema = v.custom<RunRegistry>((value) => isObject(value) && typeof value['add'] === 'function', 'expected a RunRegistry');

export const metadataSchema = v.record(
  v.custom<string | number | boolean>((value) => ['string', 'number', 'boolean'].includes(typeof value), 'expected a string, number or boolean'),
  'expected an object of attribute name → string, number or boolean',
);

export const telemetryOptionsSchema = v.strictObject({
  /** Defaults to the global providers at run start (a no-op until an SDK is installed). */
  tracerProvider: providerSchema<TracerProvider>('getTracer').optional(),
  meterProvider: providerSchema<MeterProvider>('getMeter').optional(),
  loggerProvider: providerSchema<LoggerProvider>('getLogger').optional(),
  /** Chunks in one trace before the run continues in a linked trace. */
  maxChunksPerTrace: v.number().int().min(1).default(500),
  /** Age of one trace before the run continues in a linked trace (ms). Tail samplers decide within seconds to minutes. */
  maxTraceAgeMs: v
    .number()
    .int()
    .min(1000)
    .default(10 * 60_000),
  /** Share of tracked items that get their own span. */
  itemSpanRatio: v.number().min(0).max(1).default(0),
  /** One `batch.chunk.completed` log event per chunk. Opt-in: it repeats what the chunk span carries, and costs about as much again as the chunk's span and histogram. */
  chunkEvents: v.boolean().default(false),
  /** Exceptions also as span events (deprecated in semconv 1.40). */
  exceptionSpanEvents: v.boolean().default(false),
});

/**
 * In-process alert thresholds (the `createBatchProgress` groups and the file-progress tracker's); every alert fires once per episode
 * and resolves with hysteresis (the condition must fall back clearly, by a fifth of its margin).
 * Counts are capped: the evaluator keeps rings of these sizes.
 */
export const alertOptionsSchema = v.strictObject({
  enabled: v.boolean().default(true),
  /** An episode lasts at least this long before it can resolve: a condition hovering at its threshold raises at most one alert per this period. */
  minEpisodeMs: v.number().int().min(0).default(30_000),
  /** rate_limit: more than `hits` rate-limit responses within `windowMs`. */
  rateLimit: v
    .strictObject({
      hits: v.number().int().min(1).max(10_000).default(5),
      windowMs: v
        .number()
        .int()
        .min(1000)
        .default(15 * 60_000),
    })
    .default(() => ({ hits: 5, windowMs: 15 * 60_000 })),
  /** high_error_rate: errors over items above `ratio`, once `minItems` were processed. */
  highErrorRate: v
    .strictObject({ ratio: v.number().gt(0).max(1).default(0.1), minItems: v.number().int().min(1).default(20) })
    .default(() => ({ ratio: 0.1, minItems: 20 })),
  /** slow_performance: median of the last `recentChunks` chunk times over the median of the run's first `baselineChunks` above `factor` (the slowdown factor). */
  slowPerformance: v
    .strictObject({
      factor: v.number().gt(1).default(2),
      baselineChunks: v.number().int().min(1).max(10_000).default(5),
      recentChunks: v.number().int().min(1).max(10_000).default(5),
    })
    .default(() => ({ factor: 2, baselineChunks: 5, recentChunks: 5 })),
  /** low_throughput: items per second below this after the first baseline chunks; off unless set. */
  lowThroughput: v.strictObject({ itemsPerSecond: v.number().gt(0).optional() }).default(() => ({})),
  /** eta_deviation: the estimated completion time moved by more than `percent` of the remaining time; resolved once it held still for `stableMs`. */
  etaDeviation: v
    .strictObject({ percent: v.number().gt(0).default(50), stableMs: v.number().int().min(0).default(60_000) })
    .default(() => ({ percent: 50, stableMs: 60_000 })),
  /** quality_degradation: average of the last quality scores below `threshold`, after `minSamples`. */
  qualityDegradation: v
    .strictObject({ threshold: v.number().gt(0).max(1).default(0.7), minSamples: v.number().int().min(1).max(10_000).default(10) })
    .default(() => ({ threshold: 0.7, minSamples: 10 })),
  /** stalled: no progress for `afterMs` while the run is active. */
  stalled: v
    .strictObject({
      afterMs: v
        .number()
        .int()
        .min(1000)
        .default(5 * 60_000),
    })
    .default(() => ({ afterMs: 5 * 60_000 })),
});

export type AlertOptions = Output<typeof alertOptionsSchema>;
/** Thresholds of the in-process alerts (the `alerts` option); `enabled: false` turns them all off. */
export type AlertOptionsInput = Input<typeof alertOptionsSchema>;

const operationSchema = v.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 characters of letters, digits and _ . : - (a low-cardinality identifier)');

export const runOptionsSchema = v.strictObject({
  name: v.string().min(1),
  total: v.number().int().min(0).optional(),
  /** Low-cardinality identifier; defaults to the name made into a slug. */
  operation: operationSchema.optional(),
  category: v.string().min(1).max(64).optional(),
  service: v.string().min(1).max(128).optional(),
  metadata: metadataSchema.default({}),
  id: v.string().min(1).max(128).optional(),
  /** `none` turns ETA work off. */
  eta: v.enum(['linear', 'exponential', 'adaptive', 'none']).default('adaptive'),
  clock: clockSchema.optional(),
  registry: registrySchema.optional(),
  telemetry: telemetryOptionsSchema.default(() => defaults(telemetryOptionsSchema)),
  alerts: alertOptionsSchema.default(() => defaults(alertOptionsSchema)),
  ...displayOptionsSchema.shape,
});

/** Options of `trackBatch` (and, with display settings, `createBatchProgress`): name, total, grouping, ETA, alerts, clock, registry, telemetry, display. */
export type RunOptionsInput = Input<typeof runOptionsSchema>;
export type RunOptions = Output<typeof runOptionsSchema>;
/** The `telemetry` option: explicit providers, trace segmenting, item spans, chunk events. */
export type TelemetryOptionsInput = Input<typeof telemetryOptionsSchema>;

export const retryOptionsSchema = v.strictObject({
  /** Attempts per chunk including the first. */
  attempts: v.number().int().min(1).max(100).default(1),
  baseDelayMs: v.number().min(0).default(250),
  maxDelayMs: v.number().min(0).default(30_000),
  /** Which failures to retry; default: rate limits, 5xx, timeouts and network errors. */
  retryOn: v.custom<(error: unknown) => boolean>((value) => typeof value === 'function', 'expected a function').optional(),
});

export const processOptionsSchema = v.strictObject({
  /** Items per chunk. */
  chunkSize: v.number().int().min(1).optional(),
  /** Deprecated alias of `chunkSize` (a chunk is one slice of the run); `chunkSize` wins when both are given. */
  batchSize: v.number().int().min(1).default(1),
  concurrency: v.number().int().min(1).max(1024).default(1),
  signal: v.custom<AbortSignal>((value) => isObject(value) && typeof value['aborted'] === 'boolean', 'expected an AbortSignal').optional(),
  retry: retryOptionsSchema.default(() => defaults(retryOptionsSchema)),
  /** Whole-run deadline; the run ends with result `timeout`. */
  timeoutMs: v.number().int().min(1).optional(),
  /** Stop after the first chunk that still fails after its retries. */
  stopOnError: v.boolean().default(false),
});

/** Options of `process()`: chunk size, concurrency, retries, signal, timeout, stop on error. */
export type ProcessOptionsInput = Input<typeof processOptionsSchema>;
export type ProcessOptions = Output<typeof processOptionsSchema>;

/** An object schema's defaults, as parsing `{}` gives them. */
function defaults<S extends StrictObject<Record<string, Schema<unknown, unknown>>>>(schema: S): Output<S> {
  return schema.check({}, [], []);
}

registerOptionsPlace(runOptionsSchema, 'the batch options (trackBatch, createBatchProgress)', 0);
registerOptionsPlace(telemetryOptionsSchema, '`telemetry` in the batch options', 0);
registerOptionsPlace(alertOptionsSchema, '`alerts` in the batch options', 0);
registerOptionsPlace(processOptionsSchema, 'the process() options: `run.process(items, handler, { … })`', 0);
registerOptionsPlace(retryOptionsSchema, '`retry` in the process() options', 0);
