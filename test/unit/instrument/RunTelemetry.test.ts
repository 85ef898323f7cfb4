import { context, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createBatchProgress, trackBatch, ManualClock, RunRegistry } from '../../../src/index.js';
import * as sc from '../../../src/semconv.js';
import { createTestTelemetry, pointWith, type TestTelemetry } from '../../support/otel.js';

let t: TestTelemetry;
let clock: ManualClock;
let registry: RunRegistry;

beforeEach(() => {
  t = createTestTelemetry();
  clock = new ManualClock(Date.parse('2026-11-23T10:00:00Z'));
  registry = new RunRegistry();
});
afterEach(() => t.shutdown());

const base = () => ({ clock, registry, display: 'none' as const, telemetry: { ...t.providers } });

describe('spans', () => {
  it('one run span with a child per chunk; a failed chunk is ERROR with error.type', async () => {
    const run = trackBatch({
      ...base(),
      name: 'Sync users',
      operation: 'sync_users',
      category: 'data_sync',
      service: 'USER_SVC',
      total: 6,
      metadata: { api_version: 'v2' },
    });
    await run.process(
      [1, 2, 3, 4, 5, 6],
      async (chunk, { index }) => {
        clock.advance(250);
        if (index === 1) throw Object.assign(new Error('upstream broke'), { status: 503 });
        return { failed: chunk.includes(6) ? 1 : 0 };
      },
      { batchSize: 2 },
    );
    const spans = t.spans();
    const runSpan = spans.find((s) => s.name === 'batch sync_users')!;
    const chunks = spans
      .filter((s) => s.name === 'batch.chunk sync_users')
      .sort((a, b) => Number(a.attributes[sc.ATTR_BATCH_CHUNK_INDEX]) - Number(b.attributes[sc.ATTR_BATCH_CHUNK_INDEX]));
    expect(runSpan).toBeDefined();
    expect(chunks).toHaveLength(3);
    for (const chunk of chunks) {
      expect(chunk.parentSpanContext?.spanId).toBe(runSpan.spanContext().spanId);
      expect(chunk.spanContext().traceId).toBe(runSpan.spanContext().traceId);
      expect(chunk.attributes[sc.ATTR_BATCH_CHUNK_SIZE]).toBe(2);
    }
    expect(runSpan.attributes).toMatchObject({
      [sc.ATTR_BATCH_NAME]: 'Sync users',
      [sc.ATTR_BATCH_OPERATION]: 'sync_users',
      [sc.ATTR_BATCH_CATEGORY]: 'data_sync',
      [sc.ATTR_BATCH_SERVICE]: 'USER_SVC',
      [sc.ATTR_BATCH_ITEMS_TOTAL]: 6,
      [sc.ATTR_BATCH_RUN_RESULT]: 'success',
      [sc.ATTR_BATCH_ITEMS_SUCCEEDED]: 3,
      [sc.ATTR_BATCH_ITEMS_FAILED]: 3,
      'batch.metadata.api_version': 'v2',
    });
    expect(runSpan.attributes[sc.ATTR_BATCH_RUN_ID]).toEqual(run.id);
    expect(chunks[1]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(chunks[1]!.attributes[sc.ATTR_ERROR_TYPE]).toBe('503');
    expect(chunks[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(chunks[2]!.attributes[sc.ATTR_BATCH_ITEMS_FAILED]).toBe(1);
    // Times come from the injected clock.
    expect(chunks[0]!.duration).toEqual([0, 250_000_000]);
  });

  it('the handler runs inside the chunk span, so the caller’s spans nest under it', async () => {
    // What an app's NodeSDK installs; without a context manager the API cannot propagate context.
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    onTestFinished(() => {
      context.disable();
    });
    const run = trackBatch({ ...base(), name: 'nest', total: 1 });
    const tracer = t.providers.tracerProvider.getTracer('app');
    await run.process([1], async () => {
      tracer.startSpan('http GET').end();
    });
    const spans = t.spans();
    const chunk = spans.find((s) => s.name === 'batch.chunk nest')!;
    const child = spans.find((s) => s.name === 'http GET')!;
    expect(child.parentSpanContext?.spanId).toBe(chunk.spanContext().spanId);
  });

  it('rate limiting is a span event carrying the Retry-After wait', async () => {
    const run = trackBatch({ ...base(), name: 'rl', total: 2 });
    await run.process(
      [1, 2],
      async (_chunk, { attempt }) => {
        if (attempt === 1) throw new Response(null, { status: 429, headers: { 'retry-after': '4' } });
      },
      { retry: { attempts: 2 } },
    );
    const chunk = t.spans().find((s) => s.name === 'batch.chunk rl')!;
    const event = chunk.events.find((e) => e.name === sc.SPAN_EVENT_RATE_LIMITED)!;
    expect(event.attributes).toMatchObject({ [sc.ATTR_BATCH_RATE_LIMIT_RETRY_AFTER]: 4, [sc.ATTR_HTTP_RESPONSE_STATUS_CODE]: 429 });
    expect(chunk.status.code).toBe(SpanStatusCode.UNSET); // the retry succeeded
  });

  it('a long run continues in linked traces past maxChunksPerTrace', async () => {
    const run = trackBatch({ ...base(), name: 'long', total: 25, telemetry: { ...t.providers, maxChunksPerTrace: 10 } });
    await run.process(
      Array.from({ length: 25 }, (_, i) => i),
      async () => void clock.advance(1000),
      { batchSize: 1 },
    );
    const spans = t.spans();
    const runSpan = spans.find((s) => s.name === 'batch long')!;
    const segments = spans.filter((s) => s.name === 'batch.segment long');
    const chunks = spans.filter((s) => s.name === 'batch.chunk long');
    expect(chunks).toHaveLength(25);
    expect(segments).toHaveLength(2);
    for (const segment of segments) {
      expect(segment.parentSpanContext).toBeUndefined();
      expect(segment.spanContext().traceId).not.toBe(runSpan.spanContext().traceId);
      expect(segment.links[0]!.context.spanId).toBe(runSpan.spanContext().spanId);
      expect(segment.attributes[sc.ATTR_BATCH_RUN_ID]).toBe(run.id);
    }
    const traces = new Set(chunks.map((c) => c.spanContext().traceId));
    expect(traces.size).toBe(3);
    const inRunTrace = chunks.filter((c) => c.spanContext().traceId === runSpan.spanContext().traceId);
    expect(inRunTrace).toHaveLength(10);
  });

  it('a long run also rolls over by trace age', async () => {
    const run = trackBatch({ ...base(), name: 'slow', total: 4, telemetry: { ...t.providers, maxTraceAgeMs: 60_000 } });
    await run.process([1, 2, 3, 4], async () => void clock.advance(45_000));
    expect(t.spans().filter((s) => s.name === 'batch.segment slow').length).toBeGreaterThanOrEqual(1);
  });

  it('sampled item spans for item-level tracking', () => {
    const run = trackBatch({ ...base(), name: 'files', total: 10, telemetry: { ...t.providers, itemSpanRatio: 0.5 } }).start();
    for (let i = 0; i < 10; i++) {
      run.item(`f${i}`, { status: 'processing', stage: 'embedding' });
      run.item(`f${i}`, { status: i === 4 ? 'failed' : 'completed' });
    }
    run.finish();
    const items = t.spans().filter((s) => s.name === 'batch.item files');
    expect(items).toHaveLength(5);
    expect(items.find((s) => s.attributes[sc.ATTR_BATCH_ITEM_ID] === 'f4')?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('metrics', () => {
  it('every instrument with its contract name, unit, attributes and exact values', async () => {
    const run = trackBatch({ ...base(), name: 'Annotate', operation: 'annotate', category: 'llm', total: 10 }).start();
    for (let i = 0; i < 7; i++) run.tick();
    run.tick('failure');
    run.tick('skipped');
    const chunk = (run as unknown as { run: import('../../../src/core/Run.js').Run }).run;
    const c = chunk.beginChunk(1);
    clock.advance(1500);
    chunk.endChunk(c, { failed: 0 });
    run.error(Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': '3' } }));
    run.error(new TypeError('bad'));
    run.quality(0.9);
    run.quality(0.5);
    run.usage({ inputTokens: 100, outputTokens: 40, cost: 0.02 });

    const metrics = await t.metrics();
    const byName = new Map(metrics.map((m) => [m.descriptor.name, m]));
    const attrs = { [sc.ATTR_BATCH_OPERATION]: 'annotate', [sc.ATTR_BATCH_CATEGORY]: 'llm' };

    for (const def of Object.values(sc.BATCH_METRICS)) {
      const metric = byName.get(def.name);
      if (!metric) continue; // runDuration appears at finish; checked below
      expect(metric.descriptor.unit, def.name).toBe(def.unit);
      for (const point of metric.dataPoints) {
        for (const key of Object.keys(point.attributes)) expect(def.attributes, `${def.name} carries ${key}`).toContain(key);
      }
    }
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_ITEMS_PROCESSED), { ...attrs, [sc.ATTR_BATCH_ITEM_OUTCOME]: 'success' })?.value).toBe(8);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_ITEMS_PROCESSED), { [sc.ATTR_BATCH_ITEM_OUTCOME]: 'failure' })?.value).toBe(1);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_ITEMS_PROCESSED), { [sc.ATTR_BATCH_ITEM_OUTCOME]: 'skipped' })?.value).toBe(1);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_RUNS_ACTIVE), attrs)?.value).toBe(1);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_ERRORS), { [sc.ATTR_ERROR_TYPE]: '429' })?.value).toBe(1);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_ERRORS), { [sc.ATTR_ERROR_TYPE]: 'TypeError' })?.value).toBe(1);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_RATE_LIMIT_HITS), attrs)?.value).toBe(1);
    const retryAfter = pointWith<{ sum: number; count: number }>(byName.get(sc.METRIC_BATCH_RATE_LIMIT_RETRY_AFTER), attrs)!;
    expect([retryAfter.value.count, retryAfter.value.sum]).toEqual([1, 3]);
    const chunkHist = byName.get(sc.METRIC_BATCH_CHUNK_DURATION) as HistogramMetricData;
    const chunkPoint = chunkHist.dataPoints[0]!;
    expect(chunkPoint.value.sum).toBe(1.5);
    expect(chunkPoint.value.buckets.boundaries).toEqual([...sc.CHUNK_DURATION_BUCKETS]);
    expect(pointWith<{ sum: number }>(byName.get(sc.METRIC_BATCH_ITEM_QUALITY), attrs)?.value.sum).toBeCloseTo(1.4);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_TOKENS), { [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'input' })?.value).toBe(100);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_TOKENS), { [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'output' })?.value).toBe(40);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_COST), attrs)?.value).toBeCloseTo(0.02);
    const progress = pointWith<number>(byName.get(sc.METRIC_BATCH_RUN_PROGRESS), { [sc.ATTR_BATCH_RUN_ID]: run.id });
    expect(progress?.value).toBe(1);
    expect(pointWith<number>(byName.get(sc.METRIC_BATCH_RUN_IDLE_TIME), { [sc.ATTR_BATCH_RUN_ID]: run.id })?.value).toBe(0);

    run.finish();
    const after = new Map((await t.metrics()).map((m) => [m.descriptor.name, m]));
    const runDuration = pointWith<{ count: number; sum: number }>(after.get(sc.METRIC_BATCH_RUN_DURATION), { ...attrs, [sc.ATTR_BATCH_RUN_RESULT]: 'success' });
    expect(runDuration?.value).toMatchObject({ count: 1, sum: 1.5 });
    expect(pointWith<number>(after.get(sc.METRIC_BATCH_RUNS_ACTIVE), attrs)?.value).toBe(0);
    // Per-run gauges exist only while the run is active.
    expect(after.get(sc.METRIC_BATCH_RUN_PROGRESS)?.dataPoints ?? []).toHaveLength(0);
    // Finished runs keep counting into the cumulative total.
    expect(pointWith<number>(after.get(sc.METRIC_BATCH_ITEMS_PROCESSED), { [sc.ATTR_BATCH_ITEM_OUTCOME]: 'success' })?.value).toBe(8);
  });

  it('no count is lost across many concurrent runs sharing a series', async () => {
    const runs = Array.from({ length: 20 }, () => trackBatch({ ...base(), name: 'shared', operation: 'shared', total: 1000 }).start());
    let expected = 0;
    for (const [i, run] of runs.entries()) {
      for (let k = 0; k < 100 + i; k++) run.tick();
      expected += 100 + i;
      if (i % 2 === 0) run.finish();
    }
    const point = pointWith<number>(await t.metric(sc.METRIC_BATCH_ITEMS_PROCESSED), { [sc.ATTR_BATCH_ITEM_OUTCOME]: 'success' });
    expect(point?.value).toBe(expected);
    for (const run of runs) run.finish();
    const after = pointWith<number>(await t.metric(sc.METRIC_BATCH_ITEMS_PROCESSED), { [sc.ATTR_BATCH_ITEM_OUTCOME]: 'success' });
    expect(after?.value).toBe(expected);
  });

  it('run duration by final result; failed runs carry error.type', async () => {
    const run = trackBatch({ ...base(), name: 'fails', operation: 'fails', total: 2 });
    await run.process(
      [1, 2],
      async () => {
        throw new RangeError('nope');
      },
      { stopOnError: true },
    );
    const point = pointWith<{ count: number }>(await t.metric(sc.METRIC_BATCH_RUN_DURATION), { [sc.ATTR_BATCH_RUN_RESULT]: 'failure' });
    expect(point?.attributes[sc.ATTR_ERROR_TYPE]).toBe('RangeError');
  });

  it('no non-finite value ever reaches an SDK instrument', async () => {
    const p = createBatchProgress({ ...base(), name: 'bad', operation: 'bad', total: 5 });
    p.start();
    p.update(Number.NaN);
    p.update(Number.POSITIVE_INFINITY);
    p.completeBatch(1, Number.NaN, [], Number.NaN);
    p.completeBatch(2, 2, [], -1);
    p.completeBatch(3, 2, [], Number.POSITIVE_INFINITY);
    p.finish();
    for (const metric of await t.metrics()) {
      for (const point of metric.dataPoints) {
        const value = point.value as number | { sum?: number; count: number };
        const numbers = typeof value === 'number' ? [value] : [value.sum ?? 0, value.count];
        for (const n of numbers) expect(Number.isFinite(n), `${metric.descriptor.name} got ${String(n)}`).toBe(true);
      }
    }
    const processed = pointWith<number>(await t.metric(sc.METRIC_BATCH_ITEMS_PROCESSED), { [sc.ATTR_BATCH_ITEM_OUTCOME]: 'success' });
    expect(processed?.value).toBe(4);
  });
});

describe('log events', () => {
  it('started, chunk completed, exception, finished: named through eventName and correlated to spans', async () => {
    const p = createBatchProgress({
      ...base(),
      telemetry: { ...t.providers, chunkEvents: true },
      name: 'Processing Transactions',
      total: 4,
      service: 'TRANSACTION_SERVICE',
      operation: 'process_txs',
      category: 'blockchain',
      metadata: { environment: 'production' },
    });
    p.start();
    clock.advance(100);
    p.completeBatch(1, 2, [], 100);
    p.trackError(
      2,
      Object.assign(new Error('Too Many Requests'), { response: { status: 429, headers: { 'retry-after': '5' } } }),
      false,
      undefined,
      'RateLimit',
    );
    clock.advance(100);
    p.completeBatch(3, 2, [], 100);
    const stats = p.finish({ message: 'Processed 4 transactions' });
    expect(stats.processed).toBe(4);

    const logs = t.logs();
    const names = logs.map((l) => l.eventName);
    expect(names).toEqual([
      sc.EVENT_BATCH_RUN_STARTED,
      sc.EVENT_BATCH_CHUNK_COMPLETED,
      sc.EVENT_EXCEPTION,
      sc.EVENT_BATCH_CHUNK_COMPLETED,
      sc.EVENT_BATCH_RUN_FINISHED,
    ]);
    for (const record of logs) {
      expect(record.attributes['event.name']).toBeUndefined(); // deprecated attribute not used
      expect(record.attributes[sc.ATTR_BATCH_RUN_ID]).toBe(p.id);
    }
    const runSpan = t.spans().find((s) => s.name === 'batch process_txs')!;
    const exception = logs[2]!;
    expect(exception.severityNumber).toBe(SeverityNumber.ERROR);
    expect(exception.spanContext?.spanId).toBe(runSpan.spanContext().spanId);
    expect(exception.attributes).toMatchObject({
      [sc.ATTR_EXCEPTION_TYPE]: 'Error',
      [sc.ATTR_EXCEPTION_MESSAGE]: 'Too Many Requests',
      [sc.ATTR_ERROR_TYPE]: 'RateLimit',
      [sc.ATTR_HTTP_RESPONSE_STATUS_CODE]: 429,
      [sc.ATTR_BATCH_CHUNK_INDEX]: 2,
      [sc.ATTR_BATCH_RATE_LIMIT_RETRY_AFTER]: 5,
    });
    expect(typeof exception.attributes[sc.ATTR_EXCEPTION_STACKTRACE]).toBe('string');
    const chunkEvent = logs[1]!;
    const chunkSpan = t.spans().find((s) => s.name === 'batch.chunk process_txs' && s.attributes[sc.ATTR_BATCH_CHUNK_INDEX] === 1)!;
    expect(chunkEvent.spanContext?.spanId).toBe(chunkSpan.spanContext().spanId);
    const finished = logs[4]!;
    expect(finished.body).toBe('Processed 4 transactions');
    expect(finished.attributes).toMatchObject({
      [sc.ATTR_BATCH_SERVICE]: 'TRANSACTION_SERVICE',
      [sc.ATTR_BATCH_CATEGORY]: 'blockchain',
      [sc.ATTR_BATCH_RUN_RESULT]: 'success',
      [sc.ATTR_BATCH_ERRORS]: 1,
      [sc.ATTR_BATCH_RATE_LIMIT_HITS]: 1,
      [sc.ATTR_BATCH_CHUNK_DURATION_MIN]: 0.1,
      'batch.metadata.environment': 'production',
    });
  });

  it('chunk events are opt-in: by default a chunk is its span and its histogram point, with no log record', async () => {
    const run = trackBatch({ ...base(), name: 'quiet', total: 4 });
    await run.process([1, 2, 3, 4], async () => {}, { batchSize: 2 });
    expect(t.spans().filter((s) => s.name === 'batch.chunk quiet')).toHaveLength(2);
    expect(t.logs().map((l) => l.eventName)).toEqual([sc.EVENT_BATCH_RUN_STARTED, sc.EVENT_BATCH_RUN_FINISHED]);
  });

  it('exception span events only when opted in', async () => {
    const off = trackBatch({ ...base(), name: 'off', total: 1 });
    await off.process([1], async () => {
      throw new Error('x');
    });
    expect(
      t
        .spans()
        .flatMap((s) => s.events)
        .some((e) => e.name === sc.SPAN_EVENT_EXCEPTION),
    ).toBe(false);
    const on = trackBatch({ ...base(), name: 'on', total: 1, telemetry: { ...t.providers, exceptionSpanEvents: true } });
    await on.process([1], async () => {
      throw new Error('x');
    });
    expect(
      t
        .spans()
        .flatMap((s) => s.events)
        .some((e) => e.name === sc.SPAN_EVENT_EXCEPTION),
    ).toBe(true);
  });
});

describe('without an SDK', () => {
  it('works as a no-op against the global API', async () => {
    const run = trackBatch({ clock, registry, display: 'none', name: 'noop', total: 3 });
    const stats = await run.process([1, 2, 3], async () => {}, { batchSize: 2 });
    expect(stats).toMatchObject({ processed: 3, status: 'completed', batches: 2 });
  });
});
