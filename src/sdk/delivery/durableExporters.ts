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

interface Serializer<T> {
  serializeRequest(items: T[]): Uint8Array | undefined;
  deserializeResponse(body: Uint8Array): unknown;
}

function createDurable<T>(
  signal: 'traces' | 'logs',
  serializers: { json: Serializer<T>; protobuf: Serializer<T> },
  rejectedCount: (p: NonNullable<Partial['partialSuccess']>) => number | string | undefined,
  config: DurableExporterConfig,
): DurableExporter<T> {
  const serializer = config.encoding === 'json' ? serializers.json : serializers.protobuf;
  return new DurableExporter<T>({
    signal,
    serialize: (items) => serializer.serializeRequest(items),
    rejected: rejected(rejectedCount, (b) => serializer.deserializeResponse(b) as Partial),
    transport: transport(config),
    spool: new Spool(config.spoolDir, signal, config.maxSpoolBytes ?? 256 * 1024 * 1024),
    ...(config.retryWindowMs === undefined ? {} : { retryWindowMs: config.retryWindowMs }),
    ...(config.replayIntervalMs === undefined ? {} : { replayIntervalMs: config.replayIntervalMs }),
  });
}

export const createDurableSpanExporter = (config: DurableExporterConfig): DurableExporter<ReadableSpan> =>
  createDurable<ReadableSpan>('traces', { json: JsonTraceSerializer, protobuf: ProtobufTraceSerializer }, (p) => p.rejectedSpans, config);

export const createDurableLogRecordExporter = (config: DurableExporterConfig): DurableExporter<ReadableLogRecord> =>
  createDurable<ReadableLogRecord>('logs', { json: JsonLogsSerializer, protobuf: ProtobufLogsSerializer }, (p) => p.rejectedLogRecords, config);
