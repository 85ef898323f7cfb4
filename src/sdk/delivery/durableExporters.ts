import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { DurableExporter } from './DurableExporter.js';
import { OtlpHttpTransport } from './OtlpHttpTransport.js';
import { Spool } from './Spool.js';

export interface DurableExporterConfig {
  /** Full signal URL, e.g. http://127.0.0.1:4318/v1/traces. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMillis?: number;
  readonly gzip?: boolean;
  readonly encoding?: 'protobuf' | 'json';
  readonly spoolDir: string;
  readonly maxSpoolBytes?: number;
  readonly retryWindowMs?: number;
  readonly replayIntervalMs?: number;
}

type Partial = { partialSuccess?: { rejectedSpans?: number | string; rejectedLogRecords?: number | string; errorMessage?: string } };

function transport(config: DurableExporterConfig): OtlpHttpTransport {
  const json = config.encoding === 'json';
  return new OtlpHttpTransport(config.url, config.headers ?? {}, config.timeoutMillis ?? 10_000, config.gzip ?? true, json ? 'application/json' : 'application/x-protobuf');
}

function rejected(count: (p: NonNullable<Partial['partialSuccess']>) => number | string | undefined, parse: (body: Uint8Array) => Partial) {
  return (body: Uint8Array) => {
    try {
      const partial = parse(body).partialSuccess;
      return partial ? { count: Number(count(partial) ?? 0), message: partial.errorMessage ?? '' } : undefined;
    } catch {
      return undefined;
    }
  };
}

export function createDurableSpanExporter(config: DurableExporterConfig): DurableExporter<ReadableSpan> {
  const json = config.encoding === 'json';
  const serializer = json ? JsonTraceSerializer : ProtobufTraceSerializer;
  return new DurableExporter<ReadableSpan>({
    signal: 'traces',
    serialize: (spans) => serializer.serializeRequest(spans),
    rejected: rejected((p) => p.rejectedSpans, (b) => serializer.deserializeResponse(b) as Partial),
    transport: transport(config),
    spool: new Spool(config.spoolDir, 'traces', config.maxSpoolBytes ?? 256 * 1024 * 1024),
    ...(config.retryWindowMs === undefined ? {} : { retryWindowMs: config.retryWindowMs }),
    ...(config.replayIntervalMs === undefined ? {} : { replayIntervalMs: config.replayIntervalMs }),
  });
}

export function createDurableLogRecordExporter(config: DurableExporterConfig): DurableExporter<ReadableLogRecord> {
  const json = config.encoding === 'json';
  const serializer = json ? JsonLogsSerializer : ProtobufLogsSerializer;
  return new DurableExporter<ReadableLogRecord>({
    signal: 'logs',
    serialize: (records) => serializer.serializeRequest(records),
    rejected: rejected((p) => p.rejectedLogRecords, (b) => serializer.deserializeResponse(b) as Partial),
    transport: transport(config),
    spool: new Spool(config.spoolDir, 'logs', config.maxSpoolBytes ?? 256 * 1024 * 1024),
    ...(config.retryWindowMs === undefined ? {} : { retryWindowMs: config.retryWindowMs }),
    ...(config.replayIntervalMs === undefined ? {} : { replayIntervalMs: config.replayIntervalMs }),
  });
}
