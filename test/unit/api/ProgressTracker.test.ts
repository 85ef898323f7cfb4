import { describe, expect, it, vi } from 'vitest';
import { ManualClock, ProgressTracker, RunRegistry, type ProgressMetrics } from '../../../src/index.js';
import * as sc from '../../../src/semconv.js';
import { createTestTelemetry } from '../../support/otel.js';

const base = (clock: ManualClock) => ({ clock, registry: new RunRegistry() });

function processFiles(tracker: ProgressTracker, clock: ManualClock, count: number, msPerFile: number, from = 0) {
  for (let i = from; i < from + count; i++) {
    tracker.updateFileProgress(`file-${i}`, { status: 'processing', progress: 0, stage: 'upload' });
    clock.advance(msPerFile / 2);
    tracker.updateFileProgress(`file-${i}`, { progress: 75, stage: 'embedding', stageProgress: 50 });
    clock.advance(msPerFile / 2);
    tracker.updateFileProgress(`file-${i}`, { status: i % 10 === 9 ? 'failed' : 'completed', progress: 100 });
  }
}

describe('ProgressTracker (seed 001)', () => {
  it('reports ProgressMetrics under seed 001’s names', () => {
    const clock = new ManualClock(Date.parse('2026-11-23T10:00:00Z'));
    const tracker = new ProgressTracker('session-123', { ...base(clock), total: 100, mode: 'comprehensive' });
    tracker.updateFileProgress('file-a', { status: 'processing', stage: 'embedding' });
    processFiles(tracker, clock, 40, 500);
    tracker.reportApiCall(true);
    tracker.reportApiCall(false);
    tracker.reportRateLimit(2000);
    tracker.reportUsage({ inputTokens: 3000, outputTokens: 1000, cost: 0.4 });
    tracker.reportQuality(0.9);
    tracker.reportQuality(0.7);
    const m: ProgressMetrics = tracker.getCurrentMetrics();
    expect(m).toMatchObject({
      totalFiles: 100,
      filesCompleted: 36,
      filesFailed: 4,
      filesProcessing: 1,
      filesPending: 59,
      progressPercentage: 40,
      elapsedTimeMs: 20_000,
      averageProcessingTimeMs: 500,
      rateLimitHits: 1,
      rateLimitDelayMs: 2000,
      apiCallsTotal: 2,
      apiCallsSuccessful: 1,
      apiCallsFailed: 1,
      apiSuccessRate: 0.5,
      totalTokensUsed: 4000,
      estimatedCost: 0.4,
      costPerFile: 0.01,
      tokensPerFile: 100,
      errorRate: 0.1,
      qualityScore: 0.8,
    });
    expect(m.startTime).toEqual(new Date('2026-11-23T10:00:00Z'));
    expect(m.currentThroughput).toBeGreaterThan(0);
    expect(m.throughputHistory.length).toBeGreaterThan(0);
    // 60 files at 500 ms, plus the Retry-After waits still expected (one 2 s wait after 40 files: about one more).
    expect(m.estimatedTimeRemainingMs).toBeGreaterThanOrEqual(30_000);
    expect(m.estimatedTimeRemainingMs).toBeLessThan(34_000);
    const eta = tracker.calculateETA()!;
    expect(eta.method).toBe('adaptive');
    expect(eta.estimatedCompletionTime).toBeInstanceOf(Date);
    expect(eta.factors).toHaveProperty('rateLimitingImpact');
  });

  it('calls back: progress at most every updateIntervalMs, ETA every etaUpdateIntervalMs, alerts when they fire', () => {
    const clock = new ManualClock(0);
    const progress: number[] = [];
    const etas: number[] = [];
    const alerts: string[] = [];
    const tracker = new ProgressTracker('s', {
      ...base(clock),
      total: 200,
      mode: 'enhanced',
      config: { updateIntervalMs: 1000, etaUpdateIntervalMs: 5000, alertThresholds: { qualityScoreThreshold: 0.8 } },
      callbacks: {
        onProgressUpdate: (m) => progress.push(m.filesCompleted + m.filesFailed),
        onETAUpdate: (e) => etas.push(e.estimatedTimeRemainingMs),
        onPerformanceAlert: (a) => alerts.push(a.group),
      },
    });
    processFiles(tracker, clock, 100, 200); // 20 s of work
    expect(progress.length).toBeGreaterThanOrEqual(19);
    expect(progress.length).toBeLessThanOrEqual(22);
    expect(etas.length).toBeGreaterThanOrEqual(3);
    expect(etas.length).toBeLessThanOrEqual(5);
    for (let i = 0; i < 10; i++) tracker.reportQuality(0.5);
    expect(alerts).toEqual(['quality_degradation']);
  });

  it('keeps calling back on its own timer while a long file is in flight, until stopped', () => {
    vi.useFakeTimers();
    try {
      const clock = new ManualClock(0);
      const elapsed: number[] = [];
      const tracker = new ProgressTracker('s', {
        ...base(clock),
        total: 10,
        config: { updateIntervalMs: 1000 },
        callbacks: { onProgressUpdate: (m) => elapsed.push(m.elapsedTimeMs) },
      });
      tracker.updateFileProgress('big.pdf', { status: 'processing' });
      for (let i = 0; i < 5; i++) {
        clock.advance(1000);
        vi.advanceTimersByTime(1000);
      }
      expect(elapsed).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
      tracker.stop();
      const calls = elapsed.length;
      clock.advance(5000);
      vi.advanceTimersByTime(5000);
      expect(elapsed.length).toBe(calls);
    } finally {
      vi.useRealTimers();
    }
  });

  it('failing files raise high_error_rate as they finish, in enhanced mode only', () => {
    const clock = new ManualClock(0);
    const seen = (mode: 'basic' | 'enhanced') => {
      const alerts: string[] = [];
      const tracker = new ProgressTracker(mode, {
        ...base(clock),
        total: 100,
        mode,
        config: { alertThresholds: { highErrorRate: 0.2 } },
        callbacks: { onPerformanceAlert: (a) => alerts.push(`${a.group}: ${a.message}`) },
      });
      for (let i = 0; i < 40; i++) {
        tracker.updateFileProgress(`f${i}`, { status: 'processing' });
        clock.advance(500);
        tracker.updateFileProgress(`f${i}`, { status: i % 2 === 0 ? 'failed' : 'completed' });
      }
      tracker.stop();
      return alerts;
    };
    expect(seen('enhanced')).toEqual(['high_error_rate: error rate 50.0% above 20%']);
    expect(seen('basic')).toEqual([]);
  });

  it('a file slower than slowProcessingMs raises slow_performance once per episode', () => {
    const clock = new ManualClock(0);
    const alerts: string[] = [];
    const tracker = new ProgressTracker('s', {
      ...base(clock),
      total: 10,
      config: { alertThresholds: { slowProcessingMs: 1000 } },
      callbacks: { onPerformanceAlert: (a) => alerts.push(a.group) },
    });
    processFiles(tracker, clock, 2, 5000);
    processFiles(tracker, clock, 2, 100, 2);
    processFiles(tracker, clock, 1, 5000, 4);
    expect(alerts).toEqual(['slow_performance', 'slow_performance']);
    expect(tracker['run'].activeAlerts.size).toBe(1);
    tracker.stop();
    expect(tracker['run'].activeAlerts.size).toBe(0); // the open episode ends with the run
  });

  it('modes switch work off, not just output', async () => {
    const clock = new ManualClock(0);
    const t = createTestTelemetry();
    const minimal = new ProgressTracker('min', { ...base(clock), total: 50, mode: 'minimal', telemetry: { ...t.providers } });
    const basic = new ProgressTracker('basic', { ...base(clock), total: 50, mode: 'basic', telemetry: { ...t.providers } });
    const enhanced = new ProgressTracker('enh', { ...base(clock), total: 50, mode: 'enhanced', telemetry: { ...t.providers } });
    const comprehensive = new ProgressTracker('comp', { ...base(clock), total: 50, mode: 'comprehensive', telemetry: { ...t.providers } });
    for (const tracker of [minimal, basic, enhanced, comprehensive]) {
      processFiles(tracker, clock, 30, 1000);
      for (let i = 0; i < 10; i++) tracker.reportQuality(0.1);
    }
    // minimal: no ETA, no history, no quality, no alerts
    expect(minimal.calculateETA()).toBeUndefined();
    expect(minimal.getCurrentMetrics().throughputHistory).toEqual([]);
    expect(minimal.getCurrentMetrics().qualityScore).toBe(0);
    // basic: ETA but no quality tracking or alerts
    expect(basic.calculateETA()).toBeDefined();
    expect(basic.getCurrentMetrics().qualityScore).toBe(0);
    // enhanced: quality and alerts
    expect(enhanced.getCurrentMetrics().qualityScore).toBeCloseTo(0.1);
    for (const tracker of [minimal, basic, enhanced, comprehensive]) tracker.stop();
    const alertRuns = new Set(
      t
        .logs()
        .filter((l) => l.eventName === sc.EVENT_BATCH_ALERT)
        .map((l) => l.attributes[sc.ATTR_BATCH_RUN_ID]),
    );
    expect([...alertRuns].sort()).toEqual(['comp', 'enh']);
    // comprehensive: item spans
    const itemSpans = t.spans().filter((s) => s.name.startsWith('batch.item'));
    expect(new Set(itemSpans.map((s) => s.attributes[sc.ATTR_BATCH_RUN_ID]))).toEqual(new Set(['comp']));
    // same telemetry underneath: every mode has its run span
    expect(
      t
        .spans()
        .filter((s) => s.name.startsWith('batch '))
        .map((s) => s.attributes[sc.ATTR_BATCH_RUN_ID])
        .sort(),
    ).toEqual(['basic', 'comp', 'enh', 'min']);
    await t.shutdown();
  });

  it('rejects bad config with the field named', () => {
    expect(() => new ProgressTracker('s', { mode: 'turbo' as never })).toThrow(/`mode`: expected one of minimal, basic, enhanced, comprehensive, got "turbo"/);
    expect(() => new ProgressTracker('s', { config: { updateIntervalMs: -1 } })).toThrow(/`updateIntervalMs`/);
    expect(() => new ProgressTracker('s', { config: { alertThresholds: { highErrorRate: 2 } } })).toThrow(/`alertThresholds.highErrorRate`/);
  });
});
