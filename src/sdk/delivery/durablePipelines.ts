import { JsonLogsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Redactor } from '../redact.js';
import { redactLog, redactSpan } from '../RedactingExporters.js';
import type { DeliveryPipeline } from './DeliveryMetrics.js';
import { DurableBatchProcessor } from './DurableBatchProcessor.js';
import { DurableLogRecordProcessor, isPriorityLogRecord } from './DurableLogRecordProcessor.js';
import { DurableSpanProcessor, isPrioritySpan } from './DurableSpanProcessor.js';
import { DeferredRequestBuilder } from './DeferredRequestBuilder.js';
import { writeLogRecord, writeSpan } from './otlpProtobuf.js';
import { ProtobufRequestBuilder } from './ProtobufRequestBuilder.js';
import type { RequestBuilder } from './RequestBuilder.js';
import type { SendResult } from './OtlpHttpTransport.js';
import { createSpoolDelivery, type DeliverySettings } from './SpoolDelivery.js';
import { WorkerDelivery } from './WorkerDelivery.js';

export interface DurableDeliveryConfig {
  /** Full signal URL, e.g. http://127.0.0.1:4318/v1/traces. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMillis?: number;
  readonly gzip?: boolean;
  readonly encoding?: 'protobuf' | 'json';
  readonly spoolDir: string;
  readonly maxSpoolBytes?: number;
  /**
   * fsync each spool write. Off by default: what is written survives a process
   * crash (SIGKILL) in the page cache; on, it also survives a machine crash,
   * at about a millisecond per request.
   */
  readonly fsync?: boolean;
  readonly syncIntervalMs?: number;
  readonly priorityDelayMs?: number;
  /** How long shutdown waits for the endpoint before aborting what is in flight (the rest stays in the spool). */
  readonly shutdownTimeoutMillis?: number;
  readonly maxBatchSize?: number;
  readonly maxQueueSize?: number;
  readonly concurrency?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly redactor?: Redactor;
  /** Each request's duration and result, for the export-latency histogram. */
  readonly onExport?: (seconds: number, result: SendResult) => void;
  /**
   * The implicit local default's folder: while nothing listens at `url`, JSON
   * requests are appended to `<dir>/<signal>.jsonl` instead, and the endpoint
   * is tried again every `recheckMs` (30 s).
   */
  readonly local?: {
    readonly dir: string;
    readonly recheckMs?: number;
    readonly announce: () => void /** Per signal file; LOCAL_MAX_BYTES (64 MiB) by default. */;
    readonly maxBytes?: number;
  };
  readonly now?: () => number;
  /**
   * Spool, compress and send on the export worker thread (startTelemetry's
   * choice); off, on the calling thread. Ignored with an injected `now`.
   */
  readonly worker?: boolean;
}

interface SignalKind<T> {
  readonly signal: 'traces' | 'logs';
  readonly builders: { readonly json: () => RequestBuilder<T>; readonly protobuf: () => RequestBuilder<T> };
  readonly redact: (redactor: Redactor, item: T) => T;
  readonly isPriority: (item: T) => boolean;
}

const TRACES: SignalKind<ReadableSpan> = {
  signal: 'traces',
  builders: {
    // OTLP JSON is the maintained serializer's, which takes a whole batch; its size is estimated so a request stays about 1 MiB.
    json: () =>
      new DeferredRequestBuilder(
        (spans) => JsonTraceSerializer.serializeRequest(spans),
        (span) =>
          64 + span.name.length + attributesSize(span.attributes) + span.events.reduce((n, e) => n + 32 + e.name.length + attributesSize(e.attributes), 0),
      ),
    protobuf: () => new ProtobufRequestBuilder(writeSpan),
  },
  redact: redactSpan,
  isPriority: isPrioritySpan,
};

const LOGS: SignalKind<ReadableLogRecord> = {
  signal: 'logs',
  builders: {
    json: () =>
      new DeferredRequestBuilder(
        (records) => JsonLogsSerializer.serializeRequest(records),
        (record) => 64 + valueSize(record.body) + attributesSize(record.attributes),
      ),
    protobuf: () => new ProtobufRequestBuilder(writeLogRecord),
  },
  redact: redactLog,
  isPriority: isPriorityLogRecord,
};

/**
 * Strings count their length, anything else a few bytes: enough to bound a
 * request's size. Nesting past a few levels counts as a few bytes (a body is
 * never walked deeply, nor forever if it is cyclic).
 */
function valueSize(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (depth > 3 || value === null || typeof value !== 'object') return 8;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + valueSize(v, depth + 1), 8);
  return attributesSize(value as Record<string, unknown>, depth + 1);
}

function attributesSize(attributes: Readonly<Record<string, unknown>> | undefined, depth = 0): number {
  let n = 0;
  for (const key in attributes) n += 8 + key.length + valueSize(attributes[key], depth);
  return n;
}

function createPipeline<T>(kind: SignalKind<T>, config: DurableDeliveryConfig): DeliveryPipeline & { batch: DurableBatchProcessor<T> } {
  const encoding = config.encoding ?? 'protobuf';
  const settings: DeliverySettings = {
    signal: kind.signal,
    url: config.url,
    headers: config.headers,
    timeoutMillis: config.timeoutMillis,
    gzip: config.gzip,
    encoding,
    spoolDir: config.spoolDir,
    maxSpoolBytes: config.maxSpoolBytes,
    fsync: config.fsync,
    concurrency: config.concurrency,
    baseBackoffMs: config.baseBackoffMs,
    maxBackoffMs: config.maxBackoffMs,
    local: config.local && { dir: config.local.dir, recheckMs: config.local.recheckMs, maxBytes: config.local.maxBytes },
  };
  const hooks = { onExport: config.onExport, announce: config.local?.announce, now: config.now };
  // An injected clock cannot cross to another thread: such a pipeline (a test's) delivers on this one.
  const delivery = config.worker && !config.now ? new WorkerDelivery(settings, hooks) : createSpoolDelivery(settings, hooks);
  const redactor = config.redactor;
  const batch = new DurableBatchProcessor<T>({
    signal: kind.signal,
    builder: kind.builders[encoding](),
    redact: redactor && ((item) => kind.redact(redactor, item)),
    isPriority: kind.isPriority,
    delivery,
    maxBatchSize: config.maxBatchSize,
    maxQueueSize: config.maxQueueSize,
    syncIntervalMs: config.syncIntervalMs,
    priorityDelayMs: config.priorityDelayMs,
    shutdownTimeoutMs: config.shutdownTimeoutMillis,
    now: config.now,
  });
  const spool = delivery instanceof WorkerDelivery ? delivery.spoolView() : delivery.spool;
  return { signal: kind.signal, encoding, processor: batch as DurableBatchProcessor<unknown>, sender: delivery, spool, batch };
}

/** Spans: batched, written to the spool every sync interval, sent from it, never dropped on a full queue. */
export function createDurableSpanPipeline(config: DurableDeliveryConfig): { processor: DurableSpanProcessor; pipeline: DeliveryPipeline } {
  const pipeline = createPipeline(TRACES, config);
  return { processor: new DurableSpanProcessor(pipeline.batch), pipeline };
}

/** Log records, the same way. */
export function createDurableLogPipeline(config: DurableDeliveryConfig): { processor: DurableLogRecordProcessor; pipeline: DeliveryPipeline } {
  const pipeline = createPipeline(LOGS, config);
  return { processor: new DurableLogRecordProcessor(pipeline.batch), pipeline };
}
