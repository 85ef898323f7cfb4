import { MeterProvider, MetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { batchtelTemporalitySelector } from '../../src/sdk/temporality.js';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** A reader the test drives: collect() when it wants to look. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: batchtelTemporalitySelector });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Real SDK providers with in-memory exporters, passed explicitly: nothing global. */
export function createTestTelemetry() {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] });
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    providers: { tracerProvider, meterProvider, loggerProvider },
    spans: (): ReadableSpan[] => spanExporter.getFinishedSpans(),
    logs: (): ReadableLogRecord[] => logExporter.getFinishedLogRecords(),
    async metrics(): Promise<MetricData[]> {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    },
    async metric(name: string): Promise<MetricData | undefined> {
      return (await this.metrics()).find((m) => m.descriptor.name === name);
    },
    async shutdown(): Promise<void> {
      await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

export type TestTelemetry = ReturnType<typeof createTestTelemetry>;

/** The data point whose attributes include all of `match`. */
export function pointWith<T>(metric: MetricData | undefined, match: Record<string, unknown>): DataPoint<T> | undefined {
  if (!metric) return undefined;
  return (metric.dataPoints as DataPoint<T>[]).find((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value));
}
