import { describe, expect, it } from 'vitest';
import { createBatchProgress, ManualClock, RunRegistry } from '../../../src/index.js';

const opts = (clock: ManualClock) => ({ clock, registry: new RunRegistry(), display: 'none' as const });

describe('createBatchProgress: the seed 000 API', () => {
  it('runs the seed example and returns its stats', () => {
    const clock = new ManualClock(0);
    const transactions = Array.from({ length: 95 }, (_, i) => i);
    const batches = Array.from({ length: 10 }, (_, i) => transactions.slice(i * 10, i * 10 + 10));
    const progress = createBatchProgress({
      ...opts(clock),
      name: 'Processing Transactions',
      total: transactions.length,
      service: 'TRANSACTION_SERVICE',
      operation: 'process_txs',
      category: 'blockchain',
    });
    progress.start();
    for (let batchIndex = 0; batchIndex < batches.length; batchIndex++) {
      const batch = batches[batchIndex]!;
      const batchNum = batchIndex + 1;
      progress.update(0, [`Processing batch ${batchNum}`]);
      const batchTime = 100 * batchNum; // 100..1000 ms
      clock.advance(batchTime);
      if (batchNum === 4) {
        progress.trackError(batchNum, Object.assign(new Error('Too Many Requests'), { status: 429 }), false, 429, 'RateLimit');
        continue;
      }
      progress.completeBatch(batchNum, batch.length, [], batchTime);
    }
    const stats = progress.finish({ message: `Processed ${transactions.length} transactions` });
    expect(stats).toMatchObject({
      status: 'completed',
      result: 'success',
      processed: 85,
      errors: 1,
      errorsByType: { RateLimit: 1 },
      rateLimitHits: 1,
      batches: 9,
      message: 'Processed 95 transactions',
    });
    expect(stats.itemsPerSecond).toBeCloseTo(85 / 5.5, 1);
    expect(stats.batchTimes.min).toBe(100);
    expect(stats.batchTimes.max).toBe(1000);
    expect(stats.batchTimes.avg).toBeCloseTo((5500 - 400) / 9, 1);
    expect(Math.abs(stats.batchTimes.p50 - 600) / 600).toBeLessThan(0.02);
    // Nearest-rank p99 of nine batches is the second slowest (900 ms); the sketch is within 1%.
    expect(Math.abs(stats.batchTimes.p99 - 900) / 900).toBeLessThan(0.011);
    expect(stats.deviationPercent).toBe(900);
  });

  it('completeBatch errors count as failed items of that batch', () => {
    const clock = new ManualClock(0);
    const p = createBatchProgress({ ...opts(clock), name: 'x', total: 10 });
    p.start();
    p.completeBatch(1, 10, [new Error('row 3'), new TypeError('row 7')], 50);
    const stats = p.finish();
    expect(stats).toMatchObject({ succeeded: 8, failed: 2, errors: 2, errorsByType: { Error: 1, TypeError: 1 }, errorRate: 0.2 });
  });

  it('a fatal error ends the run as failed; finish() afterwards returns the same stats quietly', () => {
    const clock = new ManualClock(0);
    const p = createBatchProgress({ ...opts(clock), name: 'x', total: 10 });
    p.start();
    p.trackError(1, new Error('db down'), true);
    const stats = p.finish();
    expect(stats).toMatchObject({ status: 'failed', result: 'failure' });
  });

  it('update(n) counts items for loops that are not batched', () => {
    const clock = new ManualClock(0);
    const p = createBatchProgress({ ...opts(clock), name: 'x', total: 3 });
    p.start();
    p.update(1);
    p.update(2, ['done']);
    expect(p.stats()).toMatchObject({ processed: 3, progress: 1 });
  });

  it('rejects bad options at construction with one message naming each field', () => {
    expect(() => createBatchProgress({ name: 'x', total: -1 })).toThrow(/`total`: .*got -1 \(number\)/);
    expect(() => createBatchProgress({ name: '' })).toThrow(/`name`: expected a non-empty string, got "" \(string\)/);
    expect(() => createBatchProgress({ name: 'x', operation: 'has spaces' } as never)).toThrow(/`operation`: expected 1-64 characters/);
    expect(() => createBatchProgress({ name: 'x', barLenght: 20 } as never)).toThrow(/unknown option `barLenght`/);
    expect(() => createBatchProgress({ name: 'x', metadata: { nested: { a: 1 } } } as never)).toThrow(/`metadata.nested`/);
    expect(() => createBatchProgress({ name: 'x', telemetry: { maxChunksPerTrace: 0 } })).toThrow(/`telemetry.maxChunksPerTrace`/);
    expect(() => createBatchProgress(undefined as never)).toThrow(/`name`/);
  });

  it('finish({ errorRateThreshold }) raises high_error_rate once when the run ends above it', () => {
    const clock = new ManualClock(0);
    const alerts: string[] = [];
    const p = createBatchProgress({ ...opts(clock), name: 'x', total: 10, alerts: { enabled: false } });
    p.start();
    p.completeBatch(1, 10, [new Error('a'), new Error('b'), new Error('c')], 10);
    const run = (p as unknown as { run: import('../../../src/core/Run.js').Run }).run;
    run.addListener({ onAlert: (_r, alert) => alerts.push(`${alert.group}:${alert.state}`) });
    p.finish({ errorRateThreshold: 0.5 }); // 30% is below
    expect(alerts).toEqual([]);
    const q = createBatchProgress({ ...opts(clock), name: 'y', total: 10, alerts: { enabled: false } });
    q.start();
    q.completeBatch(1, 10, [new Error('a'), new Error('b'), new Error('c')], 10);
    (q as unknown as { run: import('../../../src/core/Run.js').Run }).run.addListener({ onAlert: (_r, alert) => alerts.push(`${alert.group}:${alert.state}`) });
    q.finish({ errorRateThreshold: 0.2 });
    expect(alerts).toEqual(['high_error_rate:firing']);
  });

  it('defaults the operation to a slug of the name', () => {
    const clock = new ManualClock(0);
    const p = createBatchProgress({ ...opts(clock), name: 'Jupiter Token Batches!' });
    p.start();
    expect(p.finish().operation).toBe('jupiter_token_batches');
  });
});
