import { createEstimator, type EtaEstimate, type EtaEstimator, type EtaMethod } from './eta/index.js';

/** Observations per elapsed time at least: the ETA of a short run is measured as soon as that of a long one. */
const OBSERVATIONS_PER_ELAPSED = 128;
/** ...and not more often than this: a loop of sub-millisecond chunks does not pay the estimator on each. */
const MIN_OBSERVE_INTERVAL_MS = 1;

/**
 * A run's ETA wiring: which progress reaches the estimator and when. Fed at
 * chunk ends and on snapshots, never per item.
 */
export class RunEtaFeed {
  private readonly estimator: EtaEstimator | undefined;
  private lastObservedAt = Number.NEGATIVE_INFINITY;
  private observedCompleted = 0;

  /** `maxIntervalMs`: the longest gap between two observations of a run making progress. */
  constructor(
    method: EtaMethod | 'none',
    private readonly maxIntervalMs: number,
  ) {
    this.estimator = method === 'none' ? undefined : createEstimator(method);
  }

  get method(): EtaMethod | undefined {
    return this.estimator?.method;
  }

  get enabled(): boolean {
    return this.estimator !== undefined;
  }

  /** Items done at the last observation (observed even with ETA off: the idle clock compares against it). */
  get lastCompleted(): number {
    return this.observedCompleted;
  }

  start(nowMs: number): void {
    this.lastObservedAt = nowMs;
    this.estimator?.observe(nowMs, 0);
  }

  /** At most one observation per interval (shorter early in a run); `force` observes now. */
  observe(nowMs: number, elapsedMs: number, completed: number, force: boolean): void {
    const interval = Math.min(this.maxIntervalMs, Math.max(MIN_OBSERVE_INTERVAL_MS, elapsedMs / OBSERVATIONS_PER_ELAPSED));
    if (force || nowMs - this.lastObservedAt >= interval) {
      if (completed !== this.observedCompleted || force) this.estimator?.observe(nowMs, completed);
      this.lastObservedAt = nowMs;
      this.observedCompleted = completed;
    }
  }

  observeRateLimitWait(nowMs: number, totalWaitMs: number): void {
    this.estimator?.observeRateLimitWait?.(nowMs, totalWaitMs);
  }

  estimate(nowMs: number, total: number, completed: number): EtaEstimate | undefined {
    return this.estimator?.estimate(nowMs, total, completed);
  }
}
