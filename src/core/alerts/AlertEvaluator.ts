import { BATCH_ALERT_GROUP_VALUES as G, type BatchAlertGroup } from '../../semconv.js';
import { firingAlert, type Alert, type AlertSeverity } from '../alert.js';
import type { Run } from '../Run.js';
import type { ItemProgress, ItemStatus, RunListener } from '../runTypes.js';
import { RingCursor } from '../RingCursor.js';
import type { AlertThresholds } from './AlertThresholds.js';

const SEVERITY: Record<BatchAlertGroup, AlertSeverity> = {
  [G.rateLimit]: 'medium',
  [G.highErrorRate]: 'high',
  [G.slowPerformance]: 'low',
  [G.lowThroughput]: 'medium',
  [G.etaDeviation]: 'low',
  [G.qualityDegradation]: 'medium',
  [G.stalled]: 'high',
};

const SLOW_CHECK_INTERVAL_MS = 1000;
const CHUNK_CHECK_INTERVAL_MS = 100;

/** A condition clears only when it falls this far back below its threshold: no flapping. */
const HYSTERESIS = 0.8;

/**
 * Watches one run and raises the `createBatchProgress` and file-progress tracker alerts as it goes.
 * Each alert is raised once when its condition starts holding and resolved once
 * when it clears; a new episode can follow. Fixed memory: rings sized by the
 * thresholds, never by the run.
 */
export class AlertEvaluator implements RunListener {
  private readonly active = new Map<BatchAlertGroup, Alert>();
  private episodes = 0;
  /** Times of the last `hits + 1` rate limits: more than `hits` in the window iff the oldest is inside it. */
  private readonly hitTimes: Float64Array;
  private readonly hits: RingCursor;
  /** The run's first chunk times; their median is the baseline, fixed once they are in. */
  private readonly baselineTimes: Float64Array;
  private baselineCount = 0;
  private baseline = 0;
  /** Scratch space for the median of the recent chunks: sorted in place, no allocation. */
  private readonly scratch: Float64Array;
  private readonly recent: Float64Array;
  private readonly recentRing: RingCursor;
  private readonly quality: Float64Array;
  private readonly qualityRing: RingCursor;
  private etaReference: number | undefined;
  private etaStableSince: number | undefined;
  private lastSlowCheck = Number.NEGATIVE_INFINITY;
  private lastChunkCheck = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: Run,
    private readonly thresholds: AlertThresholds,
    private readonly useTimer = true,
  ) {
    this.hitTimes = new Float64Array(thresholds.rateLimit.hits + 1);
    this.recent = new Float64Array(thresholds.slowPerformance.recentChunks);
    this.scratch = new Float64Array(thresholds.slowPerformance.recentChunks);
    this.baselineTimes = new Float64Array(thresholds.slowPerformance.baselineChunks);
    this.quality = new Float64Array(thresholds.qualityDegradation.minSamples);
    this.hits = new RingCursor(this.hitTimes.length);
    this.recentRing = new RingCursor(this.recent.length);
    this.qualityRing = new RingCursor(this.quality.length);
  }

  onStart(): void {
    if (!this.useTimer) return;
    // Stalls have no event to notice them by: look on a timer.
    const every = Math.min(15_000, Math.max(1000, this.thresholds.stalled.afterMs / 4));
    this.timer = setInterval(() => this.evaluate(this.run.clock.now()), every);
    this.timer.unref();
  }

  onFinish(): void {
    if (this.timer) clearInterval(this.timer);
    // Open episodes end with the run.
    for (const group of [...this.active.keys()]) this.resolve(group, this.run.endTimeMs);
  }

  onRateLimit(run: Run): void {
    const now = run.clock.now();
    this.hitTimes[this.hits.advance()] = now;
    this.evaluate(now);
  }

  onError(run: Run): void {
    this.evaluate(run.clock.now());
  }

  onChunkEnd(_run: Run, chunk: { startTimeMs: number; endTimeMs: number }): void {
    const duration = Math.max(0, chunk.endTimeMs - chunk.startTimeMs);
    const slow = this.thresholds.slowPerformance;
    if (this.baselineCount < slow.baselineChunks) {
      this.baselineTimes[this.baselineCount++] = duration;
      if (this.baselineCount === slow.baselineChunks) this.baseline = median(this.baselineTimes, this.baselineTimes.length);
    } else {
      this.recent[this.recentRing.advance()] = duration;
    }
    // Alerts are about conditions that last seconds to minutes: a fast loop need
    // not be checked after every chunk.
    if (chunk.endTimeMs - this.lastChunkCheck >= CHUNK_CHECK_INTERVAL_MS) {
      this.lastChunkCheck = chunk.endTimeMs;
      this.evaluate(chunk.endTimeMs);
    }
  }

  /** File-level loops (the file-progress tracker's updateFileProgress) have no chunks: finished items drive the checks. */
  onItem(run: Run, item: ItemProgress, previous: ItemStatus | undefined): void {
    if (item.status === previous || (item.status !== 'completed' && item.status !== 'failed' && item.status !== 'skipped')) return;
    const now = run.clock.now();
    if (now - this.lastChunkCheck >= CHUNK_CHECK_INTERVAL_MS) {
      this.lastChunkCheck = now;
      this.evaluate(now);
    }
  }

  onQuality(run: Run, score: number): void {
    this.quality[this.qualityRing.advance()] = score;
    this.evaluate(run.clock.now());
  }

  /** Checks every condition now. Called on events and on the stall timer. */
  evaluate(now: number): void {
    const t = this.thresholds;
    const run = this.run;
    if (!t.enabled || !run.isActive) return;

    // rate_limit: more than N hits within the window.
    const windowStart = now - t.rateLimit.windowMs;
    const oldest = this.hits.full ? this.hitTimes[this.hits.slot(0)]! : Number.NEGATIVE_INFINITY;
    const hitsInWindow = this.countHitsSince(windowStart);
    // Clears only when the window holds clearly fewer hits again, so a steady rate at the threshold does not flap.
    const rateCleared = hitsInWindow <= Math.floor(t.rateLimit.hits * HYSTERESIS);
    this.check(
      G.rateLimit,
      oldest >= windowStart,
      rateCleared,
      now,
      hitsInWindow,
      t.rateLimit.hits,
      () => `${hitsInWindow} rate-limit responses in the last ${Math.round(t.rateLimit.windowMs / 60_000)} min (more than ${t.rateLimit.hits})`,
    );

    // high_error_rate: errors over items, once enough items are in.
    // Errors reported without items (`trackError` in `createBatchProgress`) still count against the items seen.
    const errors = Math.max(run.failed, run.stats.errors);
    const seen = Math.max(run.completed, errors);
    const ratio = seen > 0 ? errors / seen : 0;
    const enough = seen >= t.highErrorRate.minItems;
    this.check(
      G.highErrorRate,
      enough && ratio > t.highErrorRate.ratio,
      ratio < t.highErrorRate.ratio * HYSTERESIS,
      now,
      ratio,
      t.highErrorRate.ratio,
      () => `error rate ${(ratio * 100).toFixed(1)}% above ${(t.highErrorRate.ratio * 100).toFixed(0)}%`,
    );

    // slow_performance: the median of the recent chunks against the median of the first ones.
    // Medians: one retried or rate-limited chunk is not a slowdown.
    let factor = 0;
    if (this.baseline > 0 && this.recentRing.full) {
      this.scratch.set(this.recent);
      factor = median(this.scratch, this.scratch.length) / this.baseline;
    }
    this.check(
      G.slowPerformance,
      factor > t.slowPerformance.factor,
      factor < 1 + (t.slowPerformance.factor - 1) * HYSTERESIS,
      now,
      factor,
      t.slowPerformance.factor,
      () => `chunks are ${factor.toFixed(1)}x slower than at the start of the run`,
    );

    // low_throughput: only when asked for, and after the baseline chunks.
    const floor = t.lowThroughput.itemsPerSecond;
    if (floor !== undefined && this.baselineCount >= t.slowPerformance.baselineChunks) {
      const current = run.stats.latestThroughput() ?? run.itemsPerSecond(now);
      this.check(
        G.lowThroughput,
        current < floor,
        current > floor / HYSTERESIS,
        now,
        current,
        floor,
        () => `throughput ${current.toFixed(1)} items/s below ${floor} items/s`,
      );
    }

    // quality_degradation: average of the recent scores.
    if (this.qualityRing.full) {
      let mean = 0;
      for (let i = 0; i < this.qualityRing.count; i++) mean += this.quality[i]!;
      mean /= this.qualityRing.count;
      const q = t.qualityDegradation.threshold;
      this.check(G.qualityDegradation, mean < q, mean >= q + (1 - q) * (1 - HYSTERESIS), now, mean, q, () => `average quality ${mean.toFixed(2)} below ${q}`);
    }

    // The checks below read the clock-driven state (ETA, idle time): once a second is plenty,
    // and keeps the estimator off the per-chunk path.
    if (now - this.lastSlowCheck < SLOW_CHECK_INTERVAL_MS) return;
    this.lastSlowCheck = now;

    // eta_deviation: the estimated completion moved by more than X% of what remained.
    const eta = run.eta(now);
    if (eta && eta.confidence > 0) {
      const completion = eta.estimatedCompletionTime;
      if (this.etaReference === undefined) this.etaReference = completion;
      const remaining = Math.max(1000, this.etaReference - now);
      const moved = (Math.abs(completion - this.etaReference) / remaining) * 100;
      const limit = t.etaDeviation.percent;
      const settled = moved < limit * HYSTERESIS;
      if (!this.active.has(G.etaDeviation)) {
        this.check(G.etaDeviation, moved > limit, false, now, moved, limit, () => `estimated completion moved by ${moved.toFixed(0)}% of the remaining time`);
        // A slow drift follows the estimate; a jump starts an episode measured from the new estimate.
        if (settled || this.active.has(G.etaDeviation)) this.etaReference = completion;
        this.etaStableSince = undefined;
      } else if (settled) {
        // The episode ends once the estimate has held still for `stableMs`, not at the first quiet check.
        this.etaStableSince ??= now;
        if (now - this.etaStableSince >= t.etaDeviation.stableMs) {
          this.resolve(G.etaDeviation, now);
          this.etaReference = completion;
          this.etaStableSince = undefined;
        }
      } else {
        // Still moving: same episode, measured from here on.
        this.etaReference = completion;
        this.etaStableSince = undefined;
      }
    }

    // stalled: no progress for too long.
    const idle = run.idleTimeMs(now);
    // Idle time only shrinks when items complete, so "well under the limit again" means progress resumed,
    // whoever (renderer, metric collection) observed that progress first.
    this.check(
      G.stalled,
      idle >= t.stalled.afterMs,
      idle < t.stalled.afterMs * HYSTERESIS,
      now,
      idle,
      t.stalled.afterMs,
      () => `no progress for ${Math.round(idle / 1000)} s`,
    );
  }

  private countHitsSince(since: number): number {
    let count = 0;
    for (let i = 0; i < this.hits.count; i++) if (this.hitTimes[i]! >= since) count++;
    return count;
  }

  /** `message` is built only when an alert is raised: the checks run on every chunk. */
  private check(group: BatchAlertGroup, firing: boolean, cleared: boolean, now: number, value: number, threshold: number, message: () => string): void {
    const open = this.active.get(group);
    if (!open && firing) {
      const alert = firingAlert({
        id: `${this.run.id}:${group}:${++this.episodes}`,
        group,
        severity: SEVERITY[group],
        message: message(),
        value,
        threshold,
        raisedAtMs: now,
      });
      this.active.set(group, alert);
      this.run.raiseAlert(alert);
    } else if (open && cleared && !firing && now - open.raisedAtMs >= this.thresholds.minEpisodeMs) {
      // An episode lasts at least minEpisodeMs: a condition hovering at its threshold cannot flap faster.
      this.resolve(group, now);
    }
  }

  private resolve(group: BatchAlertGroup, now: number): void {
    const open = this.active.get(group);
    if (!open) return;
    this.active.delete(group);
    open.state = 'resolved';
    open.resolvedAtMs = now;
    this.run.resolveAlert(open);
  }
}

/** Median of the first `n` values; sorts them in place. */
function median(values: Float64Array, n: number): number {
  const sorted = values.subarray(0, n).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
