import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonLinesWriter, LOCAL_MAX_BYTES } from './JsonLinesWriter.js';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { batchtelTemporalitySelector } from './temporality.js';

/** Metrics while no collector answers at the implicit local default: one line per export. */
export class LocalFileMetricExporter implements PushMetricExporter {
  private readonly writer: JsonLinesWriter;
  /** Export requests evicted from the folder by its size limit. */
  evicted = 0;

  constructor(dir: string, maxBytes = LOCAL_MAX_BYTES) {
    this.writer = new JsonLinesWriter(dir, 'metrics.jsonl', 'metrics', maxBytes);
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    try {
      const bytes = JsonMetricsSerializer.serializeRequest(metrics);
      const evicted = bytes ? this.writer.append(bytes).requests : 0;
      if (evicted > 0 && this.evicted === 0)
        diag.warn(`batchtel: the local metrics file reached its size limit; the oldest exports are evicted (counted, not logged again)`);
      this.evicted += evicted;
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
