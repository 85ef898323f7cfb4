import { firingAlert } from '../core/alert.js';
import type { Run } from '../core/Run.js';
import type { Chunk } from '../core/runTypes.js';
import { safeText } from '../core/limits.js';
import { BATCH_ALERT_GROUP_VALUES } from '../semconv.js';
import { buildStats, type BatchStats } from './BatchStats.js';
import { createRun } from './createRun.js';
import type { RunOptionsInput } from './options.js';

/** The `createBatchProgress` options: name, total, service, operation, category, metadata and display settings. */
export type BatchProgressOptions = RunOptionsInput;

/** The `createBatchProgress` API. Teams on the Logtail version migrate by changing the import. */
export interface BatchProgress {
  readonly id: string;
  readonly signal: AbortSignal;
  /** Starts the run: its span, the `batch.run.started` event and the terminal bar. */
  start(): void;
  /** `n` more items done (0 is fine), with messages to show. */
  update(n?: number, messages?: readonly string[]): void;
  /** A batch done: `itemCount` items of which `errors.length` failed, in `batchTimeMs`. */
  completeBatch(batchNum: number, itemCount: number, errors?: readonly unknown[], batchTimeMs?: number): void;
  /** A failure; 429s and Retry-After are detected from the error or `status`. `fatal` ends the run as failed. */
  trackError(batchNum: number, error: unknown, fatal?: boolean, status?: number, type?: string): void;
  /** Ends the run; above `errorRateThreshold` (errors over items) a `high_error_rate` alert is raised first. */
  finish(options?: { message?: string; errorRateThreshold?: number }): BatchStats;
  /** The stats so far, without finishing the run. */
  stats(): BatchStats;
}

/**
 * The Logtail `createBatchProgress` API on batchtel: the same calls, now spans, metrics and log events, a terminal bar and a summary.
 *
 * @example
 * ```ts
 * import { createBatchProgress } from 'batchtel';
 *
 * const progress = createBatchProgress({ name: 'Processing Transactions', total: 100, operation: 'process_txs' });
 * progress.start();
 * progress.completeBatch(1, 100, [], 1200);
 * const stats = progress.finish({ message: 'Processed 100 transactions' });
 * console.log(stats.batchTimes.p95);
 * ```
 */
export function createBatchProgress(options: BatchProgressOptions): BatchProgress {
  const { run } = createRun(options, 'createBatchProgress options');
  return new ChunkBatchProgress(run);
}

class ChunkBatchProgress implements BatchProgress {
  constructor(private readonly run: Run) {}

  get id(): string {
    return this.run.id;
  }
  get signal(): AbortSignal {
    return this.run.signal;
  }

  start(): void {
    this.run.problems.guard('start', () => this.run.start(), undefined);
  }

  update(n = 0, messages?: readonly string[]): void {
    if (n !== 0) this.run.add(n);
    if (messages !== undefined) this.run.problems.guard('update', () => this.run.setMessages(messages), undefined);
  }

  completeBatch(batchNum: number, itemCount: number, errors: readonly unknown[] = [], batchTimeMs?: number): void {
    this.run.problems.guard('completeBatch', () => this.recordBatch(batchNum, itemCount, errors, batchTimeMs), undefined);
  }

  private recordBatch(batchNum: number, itemCount: number, rawErrors: readonly unknown[], batchTimeMs?: number): void {
    const run = this.run;
    let errors: readonly unknown[] = [];
    if (Array.isArray(rawErrors)) errors = rawErrors;
    else if (rawErrors !== null)
      run.problems.report('invalid_value', `batchtel: completeBatch errors must be an array, got ${safeText(rawErrors, 40)} (ignored)`);
    const now = run.clock.now();
    const duration = typeof batchTimeMs === 'number' && Number.isFinite(batchTimeMs) && batchTimeMs >= 0 ? batchTimeMs : undefined;
    if (batchTimeMs !== undefined && duration === undefined) {
      run.problems.report('invalid_duration', `batchtel: batchTimeMs must be a finite number >= 0, got ${safeText(batchTimeMs, 40)} (recorded as 0)`);
    }
    const chunk = run.beginChunk(itemCount, batchNum, now - (duration ?? 0));
    for (const error of errors) run.trackError(error, { chunk });
    run.endChunk(chunk, { failed: errors.length, endTimeMs: now });
  }

  trackError(batchNum: number, error: unknown, fatal = false, status?: number, type?: string): void {
    this.run.problems.guard('trackError', () => this.recordError(batchNum, error, fatal, status, type), undefined);
  }

  private recordError(rawBatchNum: number, error: unknown, fatal: boolean, status?: number, type?: string): void {
    const run = this.run;
    const batchNum = typeof rawBatchNum === 'number' && Number.isSafeInteger(rawBatchNum) ? rawBatchNum : 0;
    // This API reports a failed batch without its items or duration: the error is
    // correlated to the run span and carries the batch number.
    const now = run.clock.now();
    const chunk: Chunk = { index: batchNum, size: 0, startTimeMs: now, endTimeMs: now, succeeded: 0, failed: 0, error: undefined, slot: undefined };
    const info = run.trackError(error, { chunk, status, type, fatal: fatal === true });
    if (fatal === true && !run.isFinished) run.finishFatal(info);
  }

  finish(options: { message?: string; errorRateThreshold?: number } = {}): BatchStats {
    this.run.problems.guard('finish', () => this.end(options), undefined);
    if (!this.run.isFinished) this.run.finish();
    return buildStats(this.run);
  }

  private end(rawOptions: { message?: string; errorRateThreshold?: number }): void {
    const run = this.run;
    const options = typeof rawOptions === 'object' && rawOptions !== null ? rawOptions : {};
    if (rawOptions !== undefined && options !== rawOptions)
      run.problems.report('invalid_value', `batchtel: finish options must be an object, got ${safeText(rawOptions, 40)} (ignored)`);
    let threshold: unknown = options.errorRateThreshold;
    if (threshold !== undefined && typeof threshold !== 'number') {
      run.problems.report('invalid_value', `batchtel: errorRateThreshold must be a number, got ${safeText(threshold, 40)} (ignored)`);
      threshold = undefined;
    }
    if (typeof threshold === 'number' && run.isActive) {
      const errors = Math.max(run.failed, run.stats.errors);
      const seen = Math.max(run.completed, errors);
      const ratio = seen > 0 ? errors / seen : 0;
      if (ratio > threshold && !run.activeAlerts.has(BATCH_ALERT_GROUP_VALUES.highErrorRate)) {
        const now = run.clock.now();
        run.raiseAlert(
          firingAlert({
            id: `${run.id}:${BATCH_ALERT_GROUP_VALUES.highErrorRate}:finish`,
            group: BATCH_ALERT_GROUP_VALUES.highErrorRate,
            severity: 'high',
            message: `error rate ${(ratio * 100).toFixed(1)}% above ${(threshold * 100).toFixed(0)}% at finish`,
            value: ratio,
            threshold,
            raisedAtMs: now,
          }),
        );
      }
    }
    run.finish({ message: options.message });
  }

  stats(): BatchStats {
    return buildStats(this.run);
  }
}
