import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, RunRegistry, trackBatch } from '../../../src/index.js';
import { ItemSpanSampler } from '../../../src/sdk/ItemSpanSampler.js';
import * as sc from '../../../src/semconv.js';
import { createTestTelemetry, type TestTelemetry } from '../../support/otel.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: false });

let t: TestTelemetry | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

describe('itemSpanRatio: the share of item spans kept, decided per span', () => {
  it('ItemSpanSampler keeps its share of one trace’s item spans, not all or none (10,000 at 0.1: 1,000 ± 3σ)', () => {
    const kept = (ratio: number) => {
      const sampler = new ItemSpanSampler(ratio);
      let n = 0;
      for (let i = 0; i < 10_000; i++) {
        const attributes = { [sc.ATTR_BATCH_RUN_ID]: 'run-1', [sc.ATTR_BATCH_ITEM_ID]: `item-${i}` };
        const result = sampler.shouldSample(parent, TRACE, `${sc.SPAN_BATCH_ITEM_PREFIX} sync`, SpanKind.INTERNAL, attributes, []);
        if (result.decision === SamplingDecision.RECORD_AND_SAMPLED) n++;
      }
      return n;
    };
    const sigma = Math.sqrt(10_000 * 0.1 * 0.9);
    expect(Math.abs(kept(0.1) - 1000)).toBeLessThanOrEqual(3 * sigma);
    expect(Math.abs(kept(0.5) - 5000)).toBeLessThanOrEqual(3 * Math.sqrt(2500));
    // Deterministic: the same spans give the same count.
    expect(kept(0.1)).toBe(kept(0.1));
  });

  it('the run’s option is the same share, per item: 0.3 keeps 30% of items, not one in three', () => {
    t = createTestTelemetry();
    const run = trackBatch({
      name: 'files',
      clock: new ManualClock(0),
      registry: new RunRegistry(),
      display: 'none',
      telemetry: { ...t.providers, itemSpanRatio: 0.3 },
    }).start();
    for (let i = 0; i < 1000; i++) {
      run.item(`f${i}`, { status: 'processing' });
      run.item(`f${i}`, { status: 'completed' });
    }
    run.finish();
    expect(t.spans().filter((s) => s.name === 'batch.item files')).toHaveLength(300);
  });
});
