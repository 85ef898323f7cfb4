import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { Problems } from '../../../src/core/problems.js';
import { Run } from '../../../src/core/Run.js';
import { RunTelemetry, type RunTelemetryConfig } from '../../../src/instrument/RunTelemetry.js';
import { runSpanParent, formatTraceparent } from '../../../src/bullmq/RunContext.js';
import * as sc from '../../../src/semconv.js';
import { createTestTelemetry, pointWith, type TestTelemetry } from '../../support/otel.js';

let t: TestTelemetry;
beforeEach(() => (t = createTestTelemetry()));
afterEach(() => t.shutdown());

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const RUN_SPAN = 'b7ad6b7169203331';

function runWith(role: RunTelemetryConfig['role'], parent = runSpanParent({ traceparent: formatTraceparent(TRACE, RUN_SPAN) })) {
  const clock = new ManualClock(1_000_000);
  const run = new Run({
    descriptor: { id: 'r1', name: 'Sync', operation: 'sync', category: undefined, service: undefined, total: 10, metadata: {} },
    clock,
    problems: new Problems(() => undefined),
  });
  const options: RunTelemetryConfig = {
    ...t.providers,
    maxChunksPerTrace: 1000,
    maxTraceAgeMs: 3_600_000,
    itemSpanRatio: 0,
    chunkEvents: false,
    exceptionSpanEvents: false,
    role,
  };
  run.addListener(new RunTelemetry(run, options, parent));
  return { run, clock };
}

describe('RunTelemetry roles of a distributed run', () => {
  it('a contributor (worker) emits chunk spans under the remote run span and counts its items, but no run span', async () => {
    const { run, clock } = runWith('contributor');
    run.start();
    const chunk = run.beginChunk(4, 7);
    clock.advance(100);
    run.endChunk(chunk, { failed: 1 });
    const spans = t.spans();
    expect(spans.map((s) => s.name)).toEqual(['batch.chunk sync']);
    expect(spans[0]!.spanContext().traceId).toBe(TRACE);
    expect(spans[0]!.parentSpanContext?.spanId).toBe(RUN_SPAN);
    const items = await t.metric(sc.BATCH_METRICS.itemsProcessed.name);
    expect(pointWith<number>(items, { [sc.ATTR_BATCH_ITEM_OUTCOME]: 'success' })?.value).toBe(3);
    expect(await t.metric(sc.BATCH_METRICS.runProgress.name)).toBeUndefined();
    run.finish();
    expect(t.spans()).toHaveLength(1);
    expect(t.logs().filter((l) => l.eventName === sc.EVENT_BATCH_RUN_FINISHED)).toHaveLength(0);
  });

  it('a coordinator (follower) emits the run span, progress and run events, and counts no items (the workers do)', async () => {
    const { run, clock } = runWith('coordinator');
    run.start();
    const chunk = run.beginChunk(5, 0);
    clock.advance(100);
    run.endChunk(chunk);
    run.trackError(new Error('x'), { type: 'x' });
    const progress = await t.metric(sc.BATCH_METRICS.runProgress.name);
    expect(pointWith<number>(progress, { [sc.ATTR_BATCH_RUN_ID]: 'r1' })?.value).toBe(0.5);
    const items = await t.metric(sc.BATCH_METRICS.itemsProcessed.name);
    expect(items?.dataPoints ?? []).toHaveLength(0);
    expect(await t.metric(sc.BATCH_METRICS.errors.name)).toBeUndefined();
    run.finish();
    expect(t.spans().map((s) => s.name)).toEqual(['batch sync']);
    expect(t.logs().filter((l) => l.eventName === sc.EVENT_BATCH_RUN_FINISHED)).toHaveLength(1);
  });
});
