import { describe, expect, it } from 'vitest';
import { alertOptionsSchema, type AlertOptionsInput } from '../../../../src/api/options.js';
import type { Alert } from '../../../../src/core/alert.js';
import { AlertEvaluator } from '../../../../src/core/alerts/AlertEvaluator.js';
import { ManualClock } from '../../../../src/core/clock.js';
import { Problems } from '../../../../src/core/problems.js';
import { Run } from '../../../../src/core/Run.js';
import { RunRegistry, trackBatch } from '../../../../src/index.js';
import * as sc from '../../../../src/semconv.js';
import { createTestTelemetry, pointWith } from '../../../support/otel.js';

function setup(total = 1000, options: AlertOptionsInput = {}) {
  const clock = new ManualClock(0);
  const run = new Run({
    descriptor: { id: 'r', name: 'r', operation: 'op', category: undefined, service: undefined, total, metadata: {} },
    clock,
    problems: new Problems(() => {}),
  });
  // Episodes may end at once here, so each test shows its own condition; minEpisodeMs has its own test.
  const evaluator = new AlertEvaluator(run, alertOptionsSchema.parse({ minEpisodeMs: 0, ...options }), false);
  run.addListener(evaluator);
  const events: Array<{ group: string; state: string; id: string }> = [];
  run.addListener({ onAlert: (_r, alert: Alert) => events.push({ group: alert.group, state: alert.state, id: alert.id }) });
  run.start();
  const chunk = (size: number, ms: number, failed = 0) => {
    const c = run.beginChunk(size);
    clock.advance(ms);
    run.endChunk(c, { failed });
  };
  return { clock, run, evaluator, events, chunk };
}

const of = (events: Array<{ group: string; state: string }>, group: string) => events.filter((e) => e.group === group).map((e) => e.state);

describe('in-process alerts: one per episode, resolved when clear', () => {
  it('rate_limit: more than 5 hits in 15 minutes, no storm, new episode after it clears', () => {
    const { clock, run, evaluator, events } = setup();
    for (let i = 0; i < 5; i++) {
      run.recordRateLimit(1000);
      clock.advance(1000);
    }
    expect(of(events, 'rate_limit')).toEqual([]);
    for (let i = 0; i < 20; i++) {
      run.recordRateLimit(1000);
      clock.advance(1000);
    }
    expect(of(events, 'rate_limit')).toEqual(['firing']);
    clock.advance(16 * 60_000);
    run.add(1);
    evaluator.evaluate(clock.now());
    expect(of(events, 'rate_limit')).toEqual(['firing', 'resolved']);
    for (let i = 0; i < 6; i++) run.recordRateLimit(500);
    const ids = events.filter((e) => e.group === 'rate_limit').map((e) => e.id);
    expect(of(events, 'rate_limit')).toEqual(['firing', 'resolved', 'firing']);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('high_error_rate: only once enough items are in; clears with hysteresis', () => {
    const { events, chunk } = setup();
    chunk(10, 100, 5);
    expect(of(events, 'high_error_rate')).toEqual([]); // 10 items < minItems 20
    chunk(20, 100, 2); // 7/30 = 23%
    expect(of(events, 'high_error_rate')).toEqual(['firing']);
    chunk(40, 100, 0); // 7/70 = 10%: not above, but not clear either (needs < 8%)
    expect(of(events, 'high_error_rate')).toEqual(['firing']);
    chunk(100, 100, 0); // 7/170 = 4%
    expect(of(events, 'high_error_rate')).toEqual(['firing', 'resolved']);
  });

  it('slow_performance: recent chunks against the run’s own baseline (seed 000 slowdown factor > 2)', () => {
    const { events, chunk } = setup();
    for (let i = 0; i < 5; i++) chunk(10, 100);
    for (let i = 0; i < 4; i++) chunk(10, 250);
    expect(of(events, 'slow_performance')).toEqual([]); // recent window not full yet
    chunk(10, 250);
    expect(of(events, 'slow_performance')).toEqual(['firing']);
    for (let i = 0; i < 5; i++) chunk(10, 100);
    expect(of(events, 'slow_performance')).toEqual(['firing', 'resolved']);
  });

  it('stalled: no progress for 5 minutes, resolved on progress', () => {
    const { clock, run, evaluator, events } = setup();
    run.add(10);
    evaluator.evaluate(clock.advance(1000));
    evaluator.evaluate(clock.advance(4 * 60_000));
    expect(of(events, 'stalled')).toEqual([]);
    evaluator.evaluate(clock.advance(61_000));
    evaluator.evaluate(clock.advance(60_000));
    expect(of(events, 'stalled')).toEqual(['firing']);
    run.add(1);
    evaluator.evaluate(clock.advance(2000));
    expect(of(events, 'stalled')).toEqual(['firing', 'resolved']);
  });

  it('stalled clears on resumed progress even when the renderer or metrics observed that progress first', () => {
    const { clock, run, evaluator, events } = setup();
    run.add(10);
    evaluator.evaluate(clock.advance(1000));
    evaluator.evaluate(clock.advance(6 * 60_000));
    expect(of(events, 'stalled')).toEqual(['firing']);
    run.add(1);
    run.idleTimeMs(clock.advance(250)); // a snapshot (renderer timer, metric collection) sees the progress first
    evaluator.evaluate(clock.advance(750));
    expect(of(events, 'stalled')).toEqual(['firing', 'resolved']);
    evaluator.evaluate(clock.advance(60_000));
    expect(of(events, 'stalled')).toEqual(['firing', 'resolved']);
  });

  it('rate_limit does not flap when hits keep arriving at the threshold rate', () => {
    const { clock, run, evaluator, events } = setup(1000, { rateLimit: { hits: 5, windowMs: 60_000 } });
    // One hit every 10 s: 6 in any 60 s window, so it fires; one ages out per hit, leaving 5 (not clearly below).
    for (let i = 0; i < 60; i++) {
      run.recordRateLimit(100);
      evaluator.evaluate(clock.advance(10_000));
      run.add(1);
    }
    expect(of(events, 'rate_limit')).toEqual(['firing']);
    evaluator.evaluate(clock.advance(61_000));
    expect(of(events, 'rate_limit')).toEqual(['firing', 'resolved']);
  });

  it('file-level loops without chunks (updateItem) are checked as items finish', () => {
    const { clock, run, events } = setup();
    for (let i = 0; i < 30; i++) {
      run.updateItem(`f${i}`, { status: 'processing' });
      clock.advance(200);
      run.updateItem(`f${i}`, { status: i % 3 === 0 ? 'failed' : 'completed' });
    }
    expect(of(events, 'high_error_rate')).toEqual(['firing']);
  });

  it('slow_performance compares medians: one retried or rate-limited chunk is not a slowdown', () => {
    const { events, chunk } = setup();
    for (let i = 0; i < 5; i++) chunk(10, 100);
    for (let i = 0; i < 20; i++) chunk(10, i % 5 === 0 ? 2000 : 110); // one chunk in five waits out a 429
    expect(of(events, 'slow_performance')).toEqual([]);
  });

  it('a condition hovering at its threshold raises at most one episode per minEpisodeMs (30 s by default)', () => {
    const { clock, run, evaluator, events } = setup(1000, { minEpisodeMs: 30_000 });
    // Quality flips between bad and good every 10 samples, one sample a second, for five minutes.
    for (let s = 0; s < 300; s++) {
      run.recordQuality(Math.floor(s / 10) % 2 === 0 ? 0.3 : 0.99);
      evaluator.evaluate(clock.advance(1000));
    }
    const raised = events.filter((e) => e.group === 'quality_degradation' && e.state === 'firing').length;
    expect(raised).toBeGreaterThan(1);
    expect(raised).toBeLessThanOrEqual(300 / 30);
    expect(of(events, 'quality_degradation').join(',')).toMatch(/^(firing,resolved,)*firing(,resolved)?$/);
  });

  it('quality_degradation: recent average below 0.7', () => {
    const { run, events } = setup();
    for (let i = 0; i < 10; i++) run.recordQuality(0.5);
    expect(of(events, 'quality_degradation')).toEqual(['firing']);
    for (let i = 0; i < 10; i++) run.recordQuality(0.98);
    expect(of(events, 'quality_degradation')).toEqual(['firing', 'resolved']);
  });

  it('low_throughput: only when a floor is configured', () => {
    const quiet = setup();
    for (let i = 0; i < 8; i++) quiet.chunk(10, 1000);
    expect(of(quiet.events, 'low_throughput')).toEqual([]);
    const watched = setup(1000, { lowThroughput: { itemsPerSecond: 50 } });
    for (let i = 0; i < 8; i++) watched.chunk(10, 1000);
    expect(of(watched.events, 'low_throughput')).toEqual(['firing']);
  });

  it('eta_deviation: the completion estimate jumps when the pace collapses', () => {
    const { events, chunk } = setup(100_000);
    for (let i = 0; i < 60; i++) chunk(100, 1000);
    expect(of(events, 'eta_deviation')).toEqual([]);
    for (let i = 0; i < 8; i++) chunk(100, 5000);
    // One episode while the estimate keeps moving, however much it moves (the adaptive ETA finds the new pace within a few chunks).
    expect(of(events, 'eta_deviation')).toEqual(['firing']);
    // Resolved once the estimate has held still for stableMs (60 s), not at the first quiet check.
    for (let i = 0; i < 200 && of(events, 'eta_deviation').length < 2; i++) chunk(100, 5000);
    expect(of(events, 'eta_deviation')).toEqual(['firing', 'resolved']);
    for (let i = 0; i < 60; i++) chunk(100, 5000);
    expect(of(events, 'eta_deviation')).toEqual(['firing', 'resolved']);
  });

  it('open episodes are resolved when the run finishes; disabled means silent', () => {
    const a = setup();
    for (let i = 0; i < 10; i++) a.run.recordQuality(0.1);
    a.run.finish();
    expect(of(a.events, 'quality_degradation')).toEqual(['firing', 'resolved']);
    const b = setup(1000, { enabled: false });
    for (let i = 0; i < 10; i++) b.run.recordQuality(0.1);
    expect(b.events).toEqual([]);
  });

  it('alerts become batch.alert log events and the batch.alerts counter', async () => {
    const t = createTestTelemetry();
    const clock = new ManualClock(0);
    const run = trackBatch({
      name: 'q',
      operation: 'q',
      total: 10,
      clock,
      registry: new RunRegistry(),
      display: 'none',
      telemetry: { ...t.providers },
    }).start();
    for (let i = 0; i < 10; i++) run.quality(0.2);
    run.finish();
    const alertLogs = t.logs().filter((l) => l.eventName === sc.EVENT_BATCH_ALERT);
    expect(alertLogs.map((l) => l.attributes[sc.ATTR_BATCH_ALERT_STATE])).toEqual(['firing', 'resolved']);
    expect(alertLogs[0]!.attributes).toMatchObject({ [sc.ATTR_BATCH_ALERT_GROUP]: 'quality_degradation', [sc.ATTR_BATCH_ALERT_SEVERITY]: 'medium' });
    const counter = pointWith<number>(await t.metric(sc.METRIC_BATCH_ALERTS), { [sc.ATTR_BATCH_ALERT_GROUP]: 'quality_degradation' });
    expect(counter?.value).toBe(1);
    await t.shutdown();
  });
});
