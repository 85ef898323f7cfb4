import { describe, expect, it, vi } from 'vitest';
import { ManualClock, ProgressTracker, RunRegistry, trackBatch } from '../../../src/index.js';
import { seeded } from '../../support/seeded.js';

const base = (clock: ManualClock) => ({ clock, registry: new RunRegistry() });

describe('ProgressTracker ETA, as its users call it', () => {
  it('files registered as pending with no total: the ETA uses the files registered', () => {
    const clock = new ManualClock(0);
    const tracker = new ProgressTracker('files', base(clock));
    for (let i = 0; i < 10; i++) tracker.updateFileProgress(`f${i}`, { status: 'pending' });
    for (let i = 0; i < 4; i++) {
      tracker.updateFileProgress(`f${i}`, { status: 'processing' });
      clock.advance(1000);
      tracker.updateFileProgress(`f${i}`, { status: 'completed' });
    }
    const m = tracker.getCurrentMetrics();
    expect(m.totalFiles).toBe(10);
    expect(m.progressPercentage).toBe(40);
    const eta = tracker.calculateETA();
    expect(eta).toBeDefined();
    expect(eta!.estimatedTimeRemainingMs).toBeCloseTo(6000, -2);
    expect(m.estimatedTimeRemainingMs).toBeCloseTo(6000, -2);
  });

  it('one unit per field name: currentThroughput is files per minute in the metrics and in the ETA factors', () => {
    const clock = new ManualClock(0);
    const tracker = new ProgressTracker('units', { ...base(clock), total: 1000 });
    for (let i = 0; i < 200; i++) {
      tracker.updateFileProgress(`f${i}`, { status: 'processing' });
      clock.advance(120); // 500 files per minute
      tracker.updateFileProgress(`f${i}`, { status: 'completed' });
    }
    const m = tracker.getCurrentMetrics();
    const eta = tracker.calculateETA()!;
    expect(m.currentThroughput).toBeCloseTo(500, -1);
    expect(eta.factors.currentThroughput).toBeCloseTo(500, -1);
    expect(eta.factors.averageThroughput).toBeCloseTo(500, -1);
  });

  it('etaUpdateIntervalMs is the interval of ETA updates, whatever updateIntervalMs is', () => {
    vi.useFakeTimers();
    try {
      const clock = new ManualClock(0);
      const etas: number[] = [];
      const tracker = new ProgressTracker('s', {
        ...base(clock),
        total: 100,
        config: { updateIntervalMs: 10_000, etaUpdateIntervalMs: 2000 },
        callbacks: { onETAUpdate: (e) => etas.push(e.estimatedTimeRemainingMs) },
      });
      for (let i = 0; i < 10; i++) {
        tracker.updateFileProgress(`f${i}`, { status: 'processing' });
        clock.advance(500);
        tracker.updateFileProgress(`f${i}`, { status: 'completed' });
      }
      // A long file in flight: the updates come from the tracker's own timer.
      tracker.updateFileProgress('big', { status: 'processing' });
      const before = etas.length;
      for (let i = 0; i < 20; i++) {
        clock.advance(500);
        vi.advanceTimersByTime(500);
      }
      // 10 s with an ETA every 2 s: about five updates, not one per 10 s.
      expect(etas.length - before).toBeGreaterThanOrEqual(4);
      expect(etas.length - before).toBeLessThanOrEqual(6);
      tracker.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the ETA between observations', () => {
  it('asked at any moment, reflects the items done and the time passed since the last observation', () => {
    const clock = new ManualClock(0);
    const run = trackBatch({ ...base(clock), name: 'fresh', total: 10_000, display: 'none' }).start();
    // 10 ms per item, counted by tick(): the estimator observes at most every 250 ms.
    for (let i = 0; i < 2000; i++) {
      clock.advance(10);
      run.tick();
    }
    const first = run.stats();
    expect(first.processed).toBe(2000);
    const etaAt = () => {
      const internal = (run as unknown as { run: { eta(): { estimatedTimeRemainingMs: number; estimatedCompletionTime: number } | undefined } }).run;
      return internal.eta()!;
    };
    const samples: Array<{ remaining: number; completion: number }> = [];
    for (let i = 0; i < 20; i++) {
      clock.advance(10);
      run.tick();
      const eta = etaAt();
      samples.push({ remaining: eta.estimatedTimeRemainingMs, completion: eta.estimatedCompletionTime });
    }
    // Truth: 7980 items left at 10 ms = 79.8 s, finishing at 100 s.
    for (const s of samples) expect(Math.abs(s.completion - 100_000)).toBeLessThan(1000);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.remaining).toBeLessThan(samples[i - 1]!.remaining);
    // No progress for 5 ms (within one item's time): the completion time holds still rather than slide.
    const before = etaAt().estimatedCompletionTime;
    clock.advance(5);
    expect(Math.abs(etaAt().estimatedCompletionTime - before)).toBeLessThan(1);
  });

  it('a run of 2 seconds gets a measured ETA by mid-run, as a run of 2 hours does: no warm-up in wall time', () => {
    const measure = (msPerItem: number) => {
      const random = seeded(7);
      const clock = new ManualClock(0);
      const run = trackBatch({ ...base(clock), name: 'scale', total: 200, display: 'none' }).start();
      const internal = (run as unknown as { run: { eta(): { estimatedTimeRemainingMs: number; confidence: number } | undefined } }).run;
      const durations = Array.from({ length: 200 }, () => msPerItem * Math.exp(0.3 * (random() + random() + random() - 1.5)));
      let eta: { estimatedTimeRemainingMs: number; confidence: number } | undefined;
      for (let i = 0; i < 100; i++) {
        clock.advance(durations[i]!);
        run.tick();
        eta = internal.eta();
      }
      const truth = durations.slice(100).reduce((a, b) => a + b, 0);
      return { error: Math.abs(eta!.estimatedTimeRemainingMs - truth) / truth, confidence: eta!.confidence };
    };
    const short = measure(10); // 2 s
    const long = measure(36_000); // 2 h
    expect(short.error).toBeLessThan(0.2);
    expect(long.error).toBeLessThan(0.2);
    expect(short.confidence).toBeGreaterThan(0);
    expect(long.confidence).toBeGreaterThan(0);
    expect(Math.abs(short.error - long.error)).toBeLessThan(0.05);
  });
});
