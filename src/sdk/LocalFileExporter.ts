import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { batchtelTemporalitySelector } from './temporality.js';

/**
 * Appends OTLP JSON, one export request per line, to `<dir>/<file>`: the
 * format the collector's file-based receivers ingest later. Synchronous
 * appends: each line is on disk when `append` returns; it throws if it cannot.
 */
export class JsonLinesWriter {
  private ready = false;

  constructor(
    readonly dir: string,
    private readonly file: string,
  ) {}

  append(request: Uint8Array): void {
    if (!this.ready) {
      mkdirSync(this.dir, { recursive: true });
      this.ready = true;
    }
    appendFileSync(join(this.dir, this.file), `${Buffer.from(request).toString('utf8')}\n`);
  }
}

/** Metrics while no collector answers at the implicit local default: one line per export. */
export class LocalFileMetricExporter implements PushMetricExporter {
  private readonly writer: JsonLinesWriter;

  constructor(dir: string) {
    this.writer = new JsonLinesWriter(dir, 'metrics.jsonl');
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    try {
      const bytes = JsonMetricsSerializer.serializeRequest(metrics);
      if (bytes) this.writer.append(bytes);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  selectAggregationTemporality = batchtelTemporalitySelector;

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
