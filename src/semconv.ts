/**
 * The telemetry contract: every span, metric, attribute and event name batchtel
 * emits (the Prometheus names they become are in prometheusNames.ts). Code imports these
 * constants, never the strings; dashboards, alert rules and the README table are
 * generated from or checked against this file.
 *
 * Naming follows OpenTelemetry semantic conventions (v1.44 rules): dotted
 * lowercase names, UCUM units, no `_total` in OTel names, durations in seconds.
 * The model mirrors CI/CD's `cicd.pipeline.run`: a run span with chunk children
 * and a final result.
 *
 * Over 350 lines on purpose: one file for every telemetry name is the point.
 */

// ---------------------------------------------------------------------------
// Instrumentation scope
// ---------------------------------------------------------------------------

export const SCOPE_NAME = 'batchtel' as const;

// ---------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------

/** Human-readable run name (`createBatchProgress({ name })`). Spans and logs only: free text. */
export const ATTR_BATCH_NAME = 'batch.name' as const;
/** Low-cardinality operation identifier, e.g. `sync_users`. On every signal. */
export const ATTR_BATCH_OPERATION = 'batch.operation' as const;
/** Grouping category, e.g. `data_sync`. On every signal. */
export const ATTR_BATCH_CATEGORY = 'batch.category' as const;
/** The `createBatchProgress` API's logical service label (`service: 'API_SERVICE'`); `service.name` stays a resource attribute. */
export const ATTR_BATCH_SERVICE = 'batch.service' as const;
/** Unique id of one run. Spans, logs and the per-run gauges only. */
export const ATTR_BATCH_RUN_ID = 'batch.run.id' as const;
/** Attempt number of a chunk from 1, on `batch.chunk.retry` (a chunk of a distributed run). */
export const ATTR_BATCH_CHUNK_ATTEMPT = 'batch.chunk.attempt' as const;
/** Final result of a run, see {@link BATCH_RUN_RESULT_VALUES}. */
export const ATTR_BATCH_RUN_RESULT = 'batch.run.result' as const;
export const ATTR_BATCH_ITEMS_TOTAL = 'batch.items.total' as const;
export const ATTR_BATCH_ITEMS_SUCCEEDED = 'batch.items.succeeded' as const;
export const ATTR_BATCH_ITEMS_FAILED = 'batch.items.failed' as const;
export const ATTR_BATCH_ITEMS_SKIPPED = 'batch.items.skipped' as const;
export const ATTR_BATCH_CHUNK_INDEX = 'batch.chunk.index' as const;
export const ATTR_BATCH_CHUNK_SIZE = 'batch.chunk.size' as const;
/** Outcome of an item, see {@link BATCH_ITEM_OUTCOME_VALUES}. */
export const ATTR_BATCH_ITEM_OUTCOME = 'batch.item.outcome' as const;
/** Id of an item in item-level tracking (the file-progress tracker's file id). Item spans and logs only. */
export const ATTR_BATCH_ITEM_ID = 'batch.item.id' as const;
export const ATTR_BATCH_ITEM_STAGE = 'batch.item.stage' as const;
/** Seconds the server asked to wait (Retry-After), on rate-limit span events and logs. */
export const ATTR_BATCH_RATE_LIMIT_RETRY_AFTER = 'batch.rate_limit.retry_after' as const;
/** Trace segment number of a long run: chunks past the first segment start linked traces. */
export const ATTR_BATCH_RUN_SEGMENT = 'batch.run.segment' as const;
export const ATTR_BATCH_ALERT_GROUP = 'batch.alert.group' as const;
export const ATTR_BATCH_ALERT_SEVERITY = 'batch.alert.severity' as const;
/** `firing` or `resolved`. */
export const ATTR_BATCH_ALERT_STATE = 'batch.alert.state' as const;
export const ATTR_BATCH_ALERT_MESSAGE = 'batch.alert.message' as const;
export const ATTR_BATCH_ALERT_VALUE = 'batch.alert.value' as const;
export const ATTR_BATCH_ALERT_THRESHOLD = 'batch.alert.threshold' as const;
export const ATTR_BATCH_ETA_METHOD = 'batch.eta.method' as const;
export const ATTR_BATCH_EVENT_PRIORITY = 'batch.event.priority' as const;
/** Name of an analytics event (`createEvents`) on its metrics; the log record carries it in `eventName`. Bounded by the names the app uses. */
export const ATTR_BATCH_EVENT_NAME = 'batch.event.name' as const;
/**
 * Probability (0..1] with which an analytics event record was kept, so a backend can re-weight
 * (each record stands for `1 / sample_rate` events). 1 for errors and high-priority events.
 * No semantic-convention attribute exists for this (checked against semconv 1.45).
 */
export const ATTR_BATCH_EVENT_SAMPLE_RATE = 'batch.event.sample_rate' as const;
/** Which value of an analytics event a histogram point measures: the `values` key, `durationMs` becoming `duration`. */
export const ATTR_BATCH_EVENT_MEASURE = 'batch.event.measure' as const;
/** Summary figures on the `batch.run.finished` event. */
export const ATTR_BATCH_ITEMS_PER_SECOND = 'batch.items_per_second' as const;
export const ATTR_BATCH_CHUNK_DURATION_P50 = 'batch.chunk.duration.p50' as const;
export const ATTR_BATCH_CHUNK_DURATION_P95 = 'batch.chunk.duration.p95' as const;
export const ATTR_BATCH_CHUNK_DURATION_P99 = 'batch.chunk.duration.p99' as const;
export const ATTR_BATCH_CHUNK_DURATION_MIN = 'batch.chunk.duration.min' as const;
export const ATTR_BATCH_CHUNK_DURATION_MAX = 'batch.chunk.duration.max' as const;
export const ATTR_BATCH_CHUNK_DURATION_AVG = 'batch.chunk.duration.avg' as const;
export const ATTR_BATCH_CHUNK_DURATION_DEVIATION = 'batch.chunk.duration.deviation_percent' as const;
export const ATTR_BATCH_RATE_LIMIT_HITS = 'batch.rate_limit.hits' as const;
export const ATTR_BATCH_ERRORS = 'batch.errors' as const;
/** Free-form caller metadata is attached under this prefix: `batch.metadata.<key>`. */
export const ATTR_BATCH_METADATA_PREFIX = 'batch.metadata.' as const;

// Standard semantic-convention attributes we reuse.
export const ATTR_ERROR_TYPE = 'error.type' as const;
export const ATTR_EXCEPTION_TYPE = 'exception.type' as const;
export const ATTR_EXCEPTION_MESSAGE = 'exception.message' as const;
export const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace' as const;
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code' as const;
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type' as const;

/** Mirrors `cicd.pipeline.result`. */
export const BATCH_RUN_RESULT_VALUES = {
  success: 'success',
  failure: 'failure',
  error: 'error',
  timeout: 'timeout',
  cancellation: 'cancellation',
} as const;
/** A value of `batch.run.result`. */
export type BatchRunResult = (typeof BATCH_RUN_RESULT_VALUES)[keyof typeof BATCH_RUN_RESULT_VALUES];

export const BATCH_ITEM_OUTCOME_VALUES = {
  success: 'success',
  failure: 'failure',
  skipped: 'skipped',
} as const;
/** A value of `batch.item.outcome`. */
export type BatchItemOutcome = (typeof BATCH_ITEM_OUTCOME_VALUES)[keyof typeof BATCH_ITEM_OUTCOME_VALUES];

/** Alert groups: the `createBatchProgress` API's three, then the file-progress tracker's. */
export const BATCH_ALERT_GROUP_VALUES = {
  rateLimit: 'rate_limit',
  highErrorRate: 'high_error_rate',
  slowPerformance: 'slow_performance',
  lowThroughput: 'low_throughput',
  etaDeviation: 'eta_deviation',
  qualityDegradation: 'quality_degradation',
  stalled: 'stalled',
} as const;
/** A value of `batch.alert.group`. */
export type BatchAlertGroup = (typeof BATCH_ALERT_GROUP_VALUES)[keyof typeof BATCH_ALERT_GROUP_VALUES];

/** `error.type` values of our own; otherwise the exception class name or the HTTP status code. */
export const ERROR_TYPE_VALUES = {
  other: '_OTHER',
  rateLimited: '429',
  timeout: 'timeout',
  cancelled: 'cancelled',
} as const;

export const GEN_AI_TOKEN_TYPE_VALUES = { input: 'input', output: 'output' } as const;

/** `batch.event.priority`: the analytics events' three levels. */
export const BATCH_EVENT_PRIORITY_VALUES = { high: 'high', normal: 'normal', low: 'low' } as const;
/** A value of `batch.event.priority`. */
export type BatchEventPriority = (typeof BATCH_EVENT_PRIORITY_VALUES)[keyof typeof BATCH_EVENT_PRIORITY_VALUES];
/** Event name, error type or measure that an invalid or over-the-limit value is folded into. */
export const BATCH_EVENT_OTHER = '_OTHER' as const;

// ---------------------------------------------------------------------------
// Spans
// ---------------------------------------------------------------------------

/** `batch {operation}`: one per run. */
export const SPAN_BATCH_RUN_PREFIX = 'batch' as const;
/** `batch.chunk {operation}`: one per chunk, a child of the run (or of a segment's linked root). */
export const SPAN_BATCH_CHUNK_PREFIX = 'batch.chunk' as const;
/** `batch.item {operation}`: optional, sampled item spans. */
export const SPAN_BATCH_ITEM_PREFIX = 'batch.item' as const;
/**
 * `batch.segment {operation}`: root of a new trace that continues a long run,
 * linked to the run span, once a trace holds too many chunks or grows too old.
 */
export const SPAN_BATCH_SEGMENT_PREFIX = 'batch.segment' as const;

export const spanNameRun = (operation: string): string => `${SPAN_BATCH_RUN_PREFIX} ${operation}`;
export const spanNameChunk = (operation: string): string => `${SPAN_BATCH_CHUNK_PREFIX} ${operation}`;
export const spanNameItem = (operation: string): string => `${SPAN_BATCH_ITEM_PREFIX} ${operation}`;
export const spanNameSegment = (operation: string): string => `${SPAN_BATCH_SEGMENT_PREFIX} ${operation}`;

/** Span event recorded when the remote side rate-limits us. */
export const SPAN_EVENT_RATE_LIMITED = 'batch.rate_limited' as const;
/** Opt-in only: span-event exceptions are deprecated since semconv 1.40. */
export const SPAN_EVENT_EXCEPTION = 'exception' as const;
/** Span event on a chunk that runs again: a retry after a failure, or after its worker died (a distributed run). */
export const SPAN_EVENT_CHUNK_RETRY = 'batch.chunk.retry' as const;

// ---------------------------------------------------------------------------
// Log events (LogRecord `eventName`)
// ---------------------------------------------------------------------------

export const EVENT_BATCH_RUN_STARTED = 'batch.run.started' as const;
export const EVENT_BATCH_CHUNK_COMPLETED = 'batch.chunk.completed' as const;
/** Standard exception event: ERROR severity, correlated to the active span. */
export const EVENT_EXCEPTION = 'exception' as const;
export const EVENT_BATCH_ALERT = 'batch.alert' as const;
export const EVENT_BATCH_RUN_FINISHED = 'batch.run.finished' as const;

export const EVENT_NAMES = [EVENT_BATCH_RUN_STARTED, EVENT_BATCH_CHUNK_COMPLETED, EVENT_EXCEPTION, EVENT_BATCH_ALERT, EVENT_BATCH_RUN_FINISHED] as const;

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

export type InstrumentKind = 'counter' | 'updowncounter' | 'histogram' | 'gauge' | 'observable_counter' | 'observable_updowncounter' | 'observable_gauge';

export interface MetricDefinition {
  readonly name: string;
  readonly instrument: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  /** Attribute keys a data point may carry (besides none). */
  readonly attributes: readonly string[];
  /** Explicit bucket advice for histograms: the JS SDK's defaults assume milliseconds. */
  readonly buckets?: readonly number[];
}

const RUN_ATTRS = [ATTR_BATCH_OPERATION, ATTR_BATCH_CATEGORY, ATTR_BATCH_SERVICE] as const;
const PER_RUN_ATTRS = [...RUN_ATTRS, ATTR_BATCH_RUN_ID, ATTR_BATCH_NAME] as const;

/** From 5 ms to 10 min: an API call to a slow LLM chunk. */
export const CHUNK_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const;
/** From 1 s to 1 day. */
export const RUN_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400] as const;
export const RETRY_AFTER_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600] as const;
export const QUALITY_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1] as const;
/** From 1 ms to 1 min: the HTTP semantic-convention advice, widened at both ends for analytics timings. */
export const EVENT_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60] as const;
/** Other event values (sizes, counts, scores): 0, then 1-2-5 steps up to a million. */
export const EVENT_VALUE_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1_000_000] as const;

export const METRIC_BATCH_ITEMS_PROCESSED = 'batch.items.processed' as const;
export const METRIC_BATCH_CHUNK_DURATION = 'batch.chunk.duration' as const;
export const METRIC_BATCH_RUN_DURATION = 'batch.run.duration' as const;
export const METRIC_BATCH_RUNS_ACTIVE = 'batch.runs.active' as const;
export const METRIC_BATCH_ERRORS = 'batch.errors' as const;
export const METRIC_BATCH_RETRIES = 'batch.retries' as const;
export const METRIC_BATCH_RATE_LIMIT_HITS = 'batch.rate_limit.hits' as const;
export const METRIC_BATCH_RATE_LIMIT_RETRY_AFTER = 'batch.rate_limit.retry_after' as const;
export const METRIC_BATCH_RUN_PROGRESS = 'batch.run.progress' as const;
export const METRIC_BATCH_RUN_ETA = 'batch.run.eta' as const;
export const METRIC_BATCH_RUN_ETA_CONFIDENCE = 'batch.run.eta.confidence' as const;
export const METRIC_BATCH_RUN_IDLE_TIME = 'batch.run.idle_time' as const;
export const METRIC_BATCH_ITEM_QUALITY = 'batch.item.quality' as const;
export const METRIC_BATCH_TOKENS = 'batch.tokens' as const;
export const METRIC_BATCH_COST = 'batch.cost' as const;
export const METRIC_BATCH_ALERTS = 'batch.alerts' as const;
export const METRIC_BATCH_EVENTS = 'batch.events' as const;
export const METRIC_BATCH_EVENT_DURATION = 'batch.event.duration' as const;
export const METRIC_BATCH_EVENT_VALUE = 'batch.event.value' as const;

const EVENT_ATTRS = [ATTR_BATCH_EVENT_NAME, ATTR_BATCH_EVENT_MEASURE, ATTR_ERROR_TYPE] as const;

export const BATCH_METRICS = {
  itemsProcessed: {
    name: METRIC_BATCH_ITEMS_PROCESSED,
    instrument: 'observable_counter',
    unit: '{item}',
    description: 'Items processed, by outcome. Counted locally on the hot path and observed at collection time.',
    attributes: [...RUN_ATTRS, ATTR_BATCH_ITEM_OUTCOME],
  },
  chunkDuration: {
    name: METRIC_BATCH_CHUNK_DURATION,
    instrument: 'histogram',
    unit: 's',
    description: 'Duration of one chunk (a batch in `createBatchProgress`); error.type set when the chunk failed.',
    attributes: [...RUN_ATTRS, ATTR_ERROR_TYPE],
    buckets: CHUNK_DURATION_BUCKETS,
  },
  runDuration: {
    name: METRIC_BATCH_RUN_DURATION,
    instrument: 'histogram',
    unit: 's',
    description: 'Duration of a finished run, by final result.',
    attributes: [...RUN_ATTRS, ATTR_BATCH_RUN_RESULT, ATTR_ERROR_TYPE],
    buckets: RUN_DURATION_BUCKETS,
  },
  runsActive: {
    name: METRIC_BATCH_RUNS_ACTIVE,
    instrument: 'updowncounter',
    unit: '{run}',
    description: 'Runs started and not yet finished.',
    attributes: RUN_ATTRS,
  },
  errors: {
    name: METRIC_BATCH_ERRORS,
    instrument: 'counter',
    unit: '{error}',
    description: 'Errors reported by the loop, by error.type (exception class or HTTP status).',
    attributes: [...RUN_ATTRS, ATTR_ERROR_TYPE],
  },
  retries: {
    name: METRIC_BATCH_RETRIES,
    instrument: 'counter',
    unit: '{retry}',
    description: 'Chunk retries made by the loop helper or reported by the caller.',
    attributes: [...RUN_ATTRS, ATTR_ERROR_TYPE],
  },
  rateLimitHits: {
    name: METRIC_BATCH_RATE_LIMIT_HITS,
    instrument: 'counter',
    unit: '{hit}',
    description: 'Times the remote side rate-limited the loop (HTTP 429).',
    attributes: RUN_ATTRS,
  },
  rateLimitRetryAfter: {
    name: METRIC_BATCH_RATE_LIMIT_RETRY_AFTER,
    instrument: 'histogram',
    unit: 's',
    description: 'Wait the server asked for (Retry-After), per rate-limit hit that carried one.',
    attributes: RUN_ATTRS,
    buckets: RETRY_AFTER_BUCKETS,
  },
  runProgress: {
    name: METRIC_BATCH_RUN_PROGRESS,
    instrument: 'observable_gauge',
    unit: '1',
    description: 'Fraction of the run done (0..1); reported only while the run is active.',
    attributes: PER_RUN_ATTRS,
  },
  runEta: {
    name: METRIC_BATCH_RUN_ETA,
    instrument: 'observable_gauge',
    unit: 's',
    description: 'Estimated time remaining; reported only while the run is active and an estimate exists.',
    attributes: [...PER_RUN_ATTRS, ATTR_BATCH_ETA_METHOD],
  },
  runEtaConfidence: {
    name: METRIC_BATCH_RUN_ETA_CONFIDENCE,
    instrument: 'observable_gauge',
    unit: '1',
    description: 'Confidence of the ETA (0..1), calibrated against measured interval coverage.',
    attributes: [...PER_RUN_ATTRS, ATTR_BATCH_ETA_METHOD],
  },
  runIdleTime: {
    name: METRIC_BATCH_RUN_IDLE_TIME,
    instrument: 'observable_gauge',
    unit: 's',
    description: 'Time since the run last made progress; reported only while the run is active.',
    attributes: PER_RUN_ATTRS,
  },
  itemQuality: {
    name: METRIC_BATCH_ITEM_QUALITY,
    instrument: 'histogram',
    unit: '1',
    description: 'Quality score (0..1) reported per item or chunk.',
    attributes: RUN_ATTRS,
    buckets: QUALITY_BUCKETS,
  },
  tokens: {
    name: METRIC_BATCH_TOKENS,
    instrument: 'counter',
    unit: '{token}',
    description: 'Tokens used, by gen_ai.token.type (input/output).',
    attributes: [...RUN_ATTRS, ATTR_GEN_AI_TOKEN_TYPE],
  },
  cost: {
    name: METRIC_BATCH_COST,
    instrument: 'counter',
    unit: '{USD}',
    description: 'Estimated cost reported by the caller, in US dollars.',
    attributes: RUN_ATTRS,
  },
  alerts: {
    name: METRIC_BATCH_ALERTS,
    instrument: 'counter',
    unit: '{alert}',
    description: 'In-process alerts raised (each episode counted once), by group and severity.',
    attributes: [...RUN_ATTRS, ATTR_BATCH_ALERT_GROUP, ATTR_BATCH_ALERT_SEVERITY],
  },
  events: {
    name: METRIC_BATCH_EVENTS,
    instrument: 'observable_counter',
    unit: '{event}',
    description:
      'Analytics events (createEvents), every one, sampled in or out: exact totals by name, priority and error.type (errors only). Counted locally and observed at collection time.',
    attributes: [ATTR_BATCH_EVENT_NAME, ATTR_BATCH_EVENT_PRIORITY, ATTR_ERROR_TYPE],
  },
  eventDuration: {
    name: METRIC_BATCH_EVENT_DURATION,
    instrument: 'histogram',
    unit: 's',
    description:
      'Durations carried by analytics events (`values` keys ending in `Ms` or `_ms`, converted to seconds), by event name and measure; every event, sampled in or out.',
    attributes: EVENT_ATTRS,
    buckets: EVENT_DURATION_BUCKETS,
  },
  eventValue: {
    name: METRIC_BATCH_EVENT_VALUE,
    instrument: 'histogram',
    unit: '{value}',
    description: 'Other numeric values carried by analytics events (`values`), as given, by event name and measure; every event, sampled in or out.',
    attributes: EVENT_ATTRS,
    buckets: EVENT_VALUE_BUCKETS,
  },
} as const satisfies Record<string, MetricDefinition>;

// ---------------------------------------------------------------------------
// SDK self-telemetry (batchtel/sdk): the OpenTelemetry SDK semantic
// conventions' `otel.sdk.*` names where they fit, `batchtel.spool.*` and
// `batchtel.exporter.retries` for what is ours.
// ---------------------------------------------------------------------------

export const METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED = 'otel.sdk.processor.span.processed' as const;
export const METRIC_OTEL_SDK_PROCESSOR_LOG_PROCESSED = 'otel.sdk.processor.log.processed' as const;
export const METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE = 'otel.sdk.processor.span.queue.size' as const;
export const METRIC_OTEL_SDK_PROCESSOR_LOG_QUEUE_SIZE = 'otel.sdk.processor.log.queue.size' as const;
export const METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED = 'otel.sdk.exporter.span.exported' as const;
export const METRIC_OTEL_SDK_EXPORTER_LOG_EXPORTED = 'otel.sdk.exporter.log.exported' as const;
export const METRIC_OTEL_SDK_EXPORTER_SPAN_INFLIGHT = 'otel.sdk.exporter.span.inflight' as const;
export const METRIC_OTEL_SDK_EXPORTER_LOG_INFLIGHT = 'otel.sdk.exporter.log.inflight' as const;
export const METRIC_OTEL_SDK_EXPORTER_OPERATION_DURATION = 'otel.sdk.exporter.operation.duration' as const;
export const METRIC_BATCHTEL_EXPORTER_RETRIES = 'batchtel.exporter.retries' as const;
export const METRIC_BATCHTEL_SPOOL_RECORDS = 'batchtel.spool.records' as const;
export const METRIC_BATCHTEL_SPOOL_SIZE = 'batchtel.spool.size' as const;
export const METRIC_BATCHTEL_SPOOL_SPOOLED = 'batchtel.spool.spooled' as const;
export const METRIC_BATCHTEL_SPOOL_REPLAYED = 'batchtel.spool.replayed' as const;
export const METRIC_BATCHTEL_SPOOL_EVICTED = 'batchtel.spool.evicted' as const;
export const METRIC_BATCHTEL_PROCESSOR_REQUESTS = 'batchtel.processor.requests' as const;

/** What set off a batch processor's write to the spool (flush timing: size vs time). */
export const ATTR_BATCHTEL_WRITE_TRIGGER = 'batchtel.write.trigger' as const;
export const BATCHTEL_WRITE_TRIGGER_VALUES = {
  /** A full batch (`maxExportBatchSize`), written once the caller yielded. */
  size: 'size',
  /** The sync interval came round. */
  interval: 'interval',
  /** An error or high-priority record, within the priority delay. */
  priority: 'priority',
  /** `maxQueueSize` reached in a caller that does not yield: written in its turn. */
  backpressure: 'backpressure',
  /** forceFlush or shutdown. */
  flush: 'flush',
} as const;
/** A value of `batchtel.write.trigger`. */
export type BatchtelWriteTrigger = (typeof BATCHTEL_WRITE_TRIGGER_VALUES)[keyof typeof BATCHTEL_WRITE_TRIGGER_VALUES];

/** The durable batch processors' `otel.component.type`. */
export const COMPONENT_TYPE_DURABLE_PROCESSOR = { traces: 'batchtel_durable_span_processor', logs: 'batchtel_durable_log_processor' } as const;

/** `error.type` values of the delivery pipeline (besides HTTP status codes and connection error codes). */
export const DELIVERY_ERROR_TYPE_VALUES = {
  /** Evicted from the spool by its size limit. */
  evicted: 'evicted',
  /** Neither the spool nor the bounded memory fallback could hold it. */
  spoolUnavailable: 'spool_unavailable',
  /** Handed over after shutdown. */
  shutdown: 'shutdown',
  /** Could not be serialised. */
  encode: 'encode_failed',
  /** The endpoint's OTLP partial success rejected it. */
  rejected: 'rejected',
  /** Held by the export worker thread when it died (its files on disk are sent by its replacement, counted as inherited). */
  workerExited: 'worker_exited',
} as const;

/** `otel.sdk.*` attribute keys. */
export const ATTR_OTEL_COMPONENT_TYPE = 'otel.component.type' as const;
export const ATTR_OTEL_COMPONENT_NAME = 'otel.component.name' as const;

/** Export latency from 1 ms to 60 s. */
export const EXPORT_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

export const DELIVERY_METRICS = {
  spanProcessed: {
    name: METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
    instrument: 'observable_counter',
    unit: '{span}',
    description: 'Spans the batch processor accepted; error.type set for those it could not keep (spool_unavailable, shutdown, encode_failed).',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME, ATTR_ERROR_TYPE],
  },
  logProcessed: {
    name: METRIC_OTEL_SDK_PROCESSOR_LOG_PROCESSED,
    instrument: 'observable_counter',
    unit: '{log_record}',
    description: 'Log records the batch processor accepted; error.type set for those it could not keep.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME, ATTR_ERROR_TYPE],
  },
  spanQueueSize: {
    name: METRIC_OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE,
    instrument: 'observable_updowncounter',
    unit: '{span}',
    description: 'Spans held in memory, not yet written to the spool (lost on a crash: at most one sync interval).',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  logQueueSize: {
    name: METRIC_OTEL_SDK_PROCESSOR_LOG_QUEUE_SIZE,
    instrument: 'observable_updowncounter',
    unit: '{log_record}',
    description: 'Log records held in memory, not yet written to the spool.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  spanExported: {
    name: METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED,
    instrument: 'observable_counter',
    unit: '{span}',
    description:
      'Spans the exporter finished with; error.type set for those that failed for good (a status never retried, rejected by partial success, evicted).',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME, ATTR_ERROR_TYPE],
  },
  logExported: {
    name: METRIC_OTEL_SDK_EXPORTER_LOG_EXPORTED,
    instrument: 'observable_counter',
    unit: '{log_record}',
    description: 'Log records the exporter finished with; error.type set for those that failed for good.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME, ATTR_ERROR_TYPE],
  },
  spanInflight: {
    name: METRIC_OTEL_SDK_EXPORTER_SPAN_INFLIGHT,
    instrument: 'observable_updowncounter',
    unit: '{span}',
    description: 'Spans in export requests that have not finished.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  logInflight: {
    name: METRIC_OTEL_SDK_EXPORTER_LOG_INFLIGHT,
    instrument: 'observable_updowncounter',
    unit: '{log_record}',
    description: 'Log records in export requests that have not finished.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  exportDuration: {
    name: METRIC_OTEL_SDK_EXPORTER_OPERATION_DURATION,
    instrument: 'histogram',
    unit: 's',
    description: 'Duration of one export request; error.type and http.response.status_code set when it failed.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME, ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE],
    buckets: EXPORT_DURATION_BUCKETS,
  },
  exportRetries: {
    name: METRIC_BATCHTEL_EXPORTER_RETRIES,
    instrument: 'observable_counter',
    unit: '{request}',
    description: 'Export requests retried after a retryable failure (429, 502, 503, 504, connection), by error.type.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME, ATTR_ERROR_TYPE],
  },
  spoolRecords: {
    name: METRIC_BATCHTEL_SPOOL_RECORDS,
    instrument: 'observable_updowncounter',
    unit: '{record}',
    description: 'Spans or log records on disk waiting for delivery (written every sync interval, removed once delivered).',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  spoolSize: {
    name: METRIC_BATCHTEL_SPOOL_SIZE,
    instrument: 'observable_updowncounter',
    unit: 'By',
    description: 'Bytes the spool holds on disk, bounded by maxSpoolBytes.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  spoolSpooled: {
    name: METRIC_BATCHTEL_SPOOL_SPOOLED,
    instrument: 'observable_counter',
    unit: '{record}',
    description: 'Records whose first export attempt failed and that wait on disk for a retry.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  spoolReplayed: {
    name: METRIC_BATCHTEL_SPOOL_REPLAYED,
    instrument: 'observable_counter',
    unit: '{record}',
    description: 'Records delivered after waiting in the spool (after an outage, or left by an earlier process).',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
  processorRequests: {
    name: METRIC_BATCHTEL_PROCESSOR_REQUESTS,
    instrument: 'observable_counter',
    unit: '{request}',
    description:
      'Export requests the batch processor wrote to the spool, by what set off the write (size, interval, priority, backpressure, flush); records per request = processed / requests.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME, ATTR_BATCHTEL_WRITE_TRIGGER],
  },
  spoolEvicted: {
    name: METRIC_BATCHTEL_SPOOL_EVICTED,
    instrument: 'observable_counter',
    unit: '{record}',
    description: 'Records evicted, oldest first, because the spool reached maxSpoolBytes: lost, never silently.',
    attributes: [ATTR_OTEL_COMPONENT_TYPE, ATTR_OTEL_COMPONENT_NAME],
  },
} as const satisfies Record<string, MetricDefinition>;

export const ALL_METRICS: readonly MetricDefinition[] = [...Object.values(BATCH_METRICS), ...Object.values(DELIVERY_METRICS)];
