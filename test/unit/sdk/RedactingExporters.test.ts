import { metrics } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { RedactingSpanExporter } from '../../../src/sdk/RedactingExporters.js';
import { createRedactor } from '../../../src/sdk/redact.js';
import { ATTR_ERROR_TYPE, METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED } from '../../../src/semconv.js';

/** An exporter that answers each call with the next scripted result. */
function scripted(results: ExportResult[]): SpanExporter {
  return {
    export: (_spans, done) => done(results.shift() ?? { code: ExportResultCode.SUCCESS }),
    shutdown: async () => {},
  };
}

const spans = (n: number) => Array.from({ length: n }, () => ({ attributes: {}, events: [], links: [], status: { code: 0 } }) as unknown as ReadableSpan);
const exportOnce = (exporter: SpanExporter, n: number) => new Promise<void>((resolve) => exporter.export(spans(n), () => resolve()));

afterEach(() => metrics.disable());

describe('the stock path counts what its exporter finished with', () => {
  it('as a monotonic sum: delivered, and failed by error.type, with error types capped and folded into _OTHER', async () => {
    const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: memory, exportIntervalMillis: 3_600_000 });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

    const failures = Array.from({ length: 20 }, (_, i) => ({ code: ExportResultCode.FAILED, error: Object.assign(new Error('x'), { code: `E${i}` }) }));
    const exporter = new RedactingSpanExporter(scripted([{ code: ExportResultCode.SUCCESS }, ...failures, { code: ExportResultCode.FAILED, error: Object.assign(new Error('x'), { code: 'E0' }) }]), createRedactor([]));
    await exportOnce(exporter, 7);
    for (let i = 0; i < 21; i++) await exportOnce(exporter, 2);

    await reader.forceFlush();
    const metric = memory
      .getMetrics()
      .at(-1)!
      .scopeMetrics.flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED)!;
    expect(metric.dataPointType).toBe(DataPointType.SUM);
    expect(metric.dataPointType === DataPointType.SUM && metric.isMonotonic).toBe(true);
    const byType = new Map(metric.dataPoints.map((p) => [p.attributes[ATTR_ERROR_TYPE] ?? 'ok', p.value as number]));
    expect(byType.get('ok')).toBe(7);
    expect(byType.get('E0')).toBe(4); // its first failure and the last one
    expect(byType.get('E15')).toBe(2);
    expect(byType.get('E16')).toBeUndefined();
    expect(byType.get('_OTHER')).toBe(8); // E16..E19
    expect(metric.dataPoints).toHaveLength(1 + 16 + 1);
  });
});
