import { context, metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRegistry, trackBatch } from '../../../src/index.js';
import { batchtelTemporalitySelector } from '../../../src/sdk/temporality.js';
import * as sc from '../../../src/semconv.js';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: batchtelTemporalitySelector });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const logRecords = new InMemoryLogRecordExporter();
const reader = new TestReader();
let sdk: NodeSDK;

// An application that set up its own NodeSDK: batchtel is given no providers and
// must find the app's through the global API, registering nothing itself.
beforeAll(() => {
  sdk = new NodeSDK({
    serviceName: 'app-with-own-sdk',
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logRecords })],
    metricReaders: [reader],
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
});
afterAll(async () => {
  await sdk.shutdown();
  trace.disable();
  metrics.disable();
  logs.disable();
  context.disable();
});

describe('inside an app that runs its own NodeSDK', () => {
  it('spans, metrics and logs flow through the app’s SDK, and app spans nest under chunks', async () => {
    const tracerProviderBefore = trace.getTracerProvider();
    const appTracer = trace.getTracer('app');
    const stats = await trackBatch({ name: 'composed', operation: 'composed', total: 4, display: 'none', registry: new RunRegistry() }).process(
      [1, 2, 3, 4],
      async () => {
        appTracer.startSpan('db.query').end();
      },
      { batchSize: 2 },
    );
    expect(stats.processed).toBe(4);
    // Nothing was registered twice or replaced.
    expect(trace.getTracerProvider()).toBe(tracerProviderBefore);

    const finished = spans.getFinishedSpans();
    const run = finished.find((s) => s.name === 'batch composed')!;
    const chunks = finished.filter((s) => s.name === 'batch.chunk composed');
    const queries = finished.filter((s) => s.name === 'db.query');
    expect(run).toBeDefined();
    expect(chunks).toHaveLength(2);
    expect(queries.map((q) => q.parentSpanContext?.spanId).sort()).toEqual(chunks.map((c) => c.spanContext().spanId).sort());
    expect(run.resource.attributes['service.name']).toBe('app-with-own-sdk');

    const { resourceMetrics } = await reader.collect();
    const items = resourceMetrics.scopeMetrics
      .filter((s) => s.scope.name === sc.SCOPE_NAME)
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === sc.METRIC_BATCH_ITEMS_PROCESSED);
    expect(items?.dataPoints.find((p) => p.attributes[sc.ATTR_BATCH_OPERATION] === 'composed')?.value).toBe(4);

    expect(logRecords.getFinishedLogRecords().map((l) => l.eventName)).toContain(sc.EVENT_BATCH_RUN_FINISHED);
  });
});
