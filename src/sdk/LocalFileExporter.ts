import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { batchtelTemporalitySelector } from './temporality.js';

/**
 * Writes OTLP JSON, one export request per line, to `<dir>/<signal>.jsonl`:
 * the format the collector's file-based receivers ingest later. Synchronous
 * appends: each line is on disk when export reports success.
 */
abstract class JsonLinesFile<T> {
  private ready = false;

  constructor(
    private readonly dir: string,
    private readonly file: string,
  ) {}

  protected abstract serialize(items: T): Uint8Array | undefined;

  protected write(items: T, done: (result: ExportResult) => void): void {
    try {
      if (!this.ready) {
        mkdirSync(this.dir, { recursive: true });
        this.ready = true;
      }
      const bytes = this.serialize(items);
      if (bytes) appendFileSync(join(this.dir, this.file), `${Buffer.from(bytes).toString('utf8')}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

export class LocalFileSpanExporter extends JsonLinesFile<ReadableSpan[]> implements SpanExporter {
  constructor(dir: string) {
    super(dir, 'traces.jsonl');
  }
  protected serialize(spans: ReadableSpan[]) {
    return JsonTraceSerializer.serializeRequest(spans);
  }
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.write(spans, done);
  }
}

export class LocalFileLogRecordExporter extends JsonLinesFile<ReadableLogRecord[]> implements LogRecordExporter {
  constructor(dir: string) {
    super(dir, 'logs.jsonl');
  }
  protected serialize(records: ReadableLogRecord[]) {
    return JsonLogsSerializer.serializeRequest(records);
  }
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.write(records, done);
  }
}

export class LocalFileMetricExporter extends JsonLinesFile<ResourceMetrics> implements PushMetricExporter {
  constructor(dir: string) {
    super(dir, 'metrics.jsonl');
  }
  protected serialize(metrics: ResourceMetrics) {
    return JsonMetricsSerializer.serializeRequest(metrics);
  }
  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.write(metrics, done);
  }
  selectAggregationTemporality = batchtelTemporalitySelector;
}
