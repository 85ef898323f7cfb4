import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { Problems } from '../../../src/core/problems.js';
import { Run } from '../../../src/core/Run.js';
import type { RunListener } from '../../../src/core/runTypes.js';

function makeRun(total?: number) {
  const clock = new ManualClock(1_000_000);
  const sink = vi.fn();
  const run = new Run({
    descriptor: { id: 'r1', name: 'Test', operation: 'test', category: undefined, service: undefined, total, metadata: {} },
    clock,
    problems: new Problems(sink),
  });
  return { run, clock, sink };
}

describe('Run state machine', () => {
  it('goes pending → running → completed', () => {
    const { run, clock } = makeRun(10);
    expect(run.status).toBe('pending');
    run.start();
    expect(run.status).toBe('running');
    for (let i = 0; i < 10; i++) run.tick();
    clock.advance(2000);
    const summary = run.finish();
    expect(summary).toMatchObject({ result: 'success', status: 'completed', durationMs: 2000 });
    expect(run.status).toBe('completed');
    expect(run.progress()).toBe(1);
    expect(run.itemsPerSecond()).toBe(5);
  });

  it('counts outcomes on the per-item path', () => {
    const { run } = makeRun();
    run.start();
    run.tick();
    run.tick('success');
    run.tick('failure');
    run.tick('skipped');
    run.add(5, 'failure');
    expect([run.succeeded, run.failed, run.skipped, run.completed]).toEqual([2, 6, 1, 9]);
  });

  it('finishes as cancelled when its signal aborted, failed on a fatal error', () => {
    const a = makeRun();
    a.run.start();
    a.run.cancel('user asked');
    expect(a.run.signal.aborted).toBe(true);
    expect(a.run.finish()).toMatchObject({ result: 'cancellation', status: 'cancelled', errorType: 'cancelled' });

    const b = makeRun();
    b.run.start();
    const info = b.run.trackError(new TypeError('bad row'), { fatal: true });
    expect(b.run.finish()).toMatchObject({ result: 'failure', status: 'failed', errorType: info.errorType });
  });

  it('chunks count their items, time and failures', () => {
    const { run, clock } = makeRun(100);
    run.start();
    const chunk = run.beginChunk(50);
    clock.advance(500);
    run.endChunk(chunk, { failed: 5 });
    run.recordChunk(7, 50, 0, 1500);
    expect([run.succeeded, run.failed]).toEqual([95, 5]);
    expect(run.stats.chunks).toBe(2);
    expect(run.stats.chunkDurations.min).toBe(500);
    expect(run.stats.chunkDurations.max).toBe(1500);
  });

  it('notifies listeners and survives one that throws', () => {
    const { run, sink } = makeRun();
    const seen: string[] = [];
    const broken: RunListener = {
      onStart: () => {
        throw new Error('listener bug');
      },
    };
    run.addListener(broken);
    run.addListener({ onStart: () => seen.push('start'), onFinish: () => seen.push('finish') });
    run.start();
    run.finish();
    expect(seen).toEqual(['start', 'finish']);
    expect(sink).toHaveBeenCalledWith('callback_threw', expect.stringContaining('listener bug'));
  });
});

describe('Run on bad input: never throws, counts, reports once', () => {
  it('NaN, negative and fractional counts and durations', () => {
    const { run, sink } = makeRun(10);
    run.start();
    expect(() => {
      run.add(Number.NaN);
      run.add(-3);
      run.add(1.5);
      run.add(Number.POSITIVE_INFINITY);
      run.recordChunk(0, 2, 0, Number.NaN);
      run.recordChunk(1, 2, 0, -5);
      run.recordRateLimit(Number.NaN);
      run.recordQuality(Number.NaN);
      run.recordQuality(7);
      run.recordUsage({ inputTokens: -1, cost: Number.POSITIVE_INFINITY });
    }).not.toThrow();
    expect(run.completed).toBe(4);
    expect(run.problems.count('invalid_count')).toBe(4);
    expect(run.problems.count('invalid_duration')).toBe(3);
    expect(run.problems.count('invalid_value')).toBe(4);
    const codes = sink.mock.calls.map((call) => call[0]);
    expect(codes.filter((c) => c === 'invalid_count')).toHaveLength(1);
    expect(codes.filter((c) => c === 'invalid_duration')).toHaveLength(1);
    expect(run.stats.chunkDurations.max).toBe(0);
    expect(run.stats.qualityCount).toBe(0);
    expect(run.stats.cost).toBe(0);
  });

  it('more items than total: reported once, progress capped', () => {
    const { run, clock, sink } = makeRun(3);
    run.start();
    for (let i = 0; i < 5; i++) run.tick();
    clock.advance(1000);
    expect(run.progress()).toBe(1);
    run.idleTimeMs();
    run.idleTimeMs(clock.advance(1000));
    expect(sink.mock.calls.filter((c) => c[0] === 'over_total')).toHaveLength(1);
  });

  it('calls after finish and finish twice', () => {
    const { run, sink } = makeRun();
    run.start();
    run.tick();
    const first = run.finish();
    run.tick();
    run.add(3);
    run.trackError(new Error('late'));
    const second = run.finish();
    expect(second).toBe(first);
    expect(run.completed).toBe(1);
    expect(run.stats.errors).toBe(0);
    expect(run.problems.count('call_after_finish')).toBe(3);
    expect(run.problems.count('finish_twice')).toBe(1);
    expect(sink.mock.calls.filter((c) => c[0] === 'call_after_finish')).toHaveLength(1);
  });

  it('calls before start are ignored; finish without start starts it', () => {
    const { run } = makeRun();
    run.tick();
    expect(run.completed).toBe(0);
    expect(run.finish().result).toBe('success');
    expect(run.problems.count('call_before_start')).toBe(2);
  });
});

describe('Run item-level tracking', () => {
  it('holds only active items and counts the finished ones', () => {
    const { run, clock } = makeRun(3);
    run.start();
    run.updateItem('a', { status: 'processing', progress: 10, stage: 'upload' });
    run.updateItem('b', { status: 'processing' });
    expect(run.activeItems.size).toBe(2);
    clock.advance(100);
    run.updateItem('a', { status: 'completed', progress: 100 });
    run.updateItem('b', { status: 'failed' });
    expect(run.activeItems.size).toBe(0);
    expect([run.succeeded, run.failed]).toEqual([1, 1]);
    for (let i = 0; i < 10_000; i++) {
      run.updateItem(`x${i}`, { status: 'processing' });
      run.updateItem(`x${i}`, { status: 'completed' });
    }
    expect(run.activeItems.size).toBe(0);
  });
});

describe('Run idle time', () => {
  it('measures time since progress was last seen', () => {
    const { run, clock } = makeRun(100);
    run.start();
    run.add(10);
    expect(run.idleTimeMs(clock.advance(1000))).toBe(0);
    expect(run.idleTimeMs(clock.advance(60_000))).toBe(60_000);
    run.add(1);
    expect(run.idleTimeMs(clock.advance(1))).toBe(0);
  });
});
