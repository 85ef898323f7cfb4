import { ForecastErrors } from './ForecastErrors.js';
import { PaceHistory } from './PaceHistory.js';
import { fitPace, projectWork, type Pace } from './PaceModel.js';
import { LEVEL, MIN_ERRORS, RateEstimator, UNMEASURED_SPREAD } from './RateEstimator.js';
import { RateLimitWaits } from './RateLimitWaits.js';

/** Two-sided 80% normal quantile. */
const Z_80 = 1.2816;
const MAX_HORIZON_WIDENING = 4;
const HORIZON_EXPONENT = 0.5;

/**
 * Finds the run's current pace and projects it, with rate-limit waits projected
 * apart. The work pace of the whole run is kept in a fixed number of bins
 * (PaceHistory); each observation refits where the current segment began and
 * whether it is flat or drifting (fitPace), so a steady run gets the overall
 * mean, a run whose pace changed gets the mean since the change, and a run that
 * keeps slowing gets its trend. Waits are events with a duration and a spacing
 * (RateLimitWaits). The interval comes from the estimator's own measured
 * forecast errors.
 */
export class AdaptiveEstimator extends RateEstimator {
  readonly method = 'adaptive' as const;
  private readonly history = new PaceHistory();
  private readonly waits = new RateLimitWaits();
  private fitted: Pace | undefined;
  /** Work of intervals that completed no item, carried into the next that did. */
  private pendingWorkMs = 0;
  protected override scoresForecasts = false;

  protected override createErrors(): ForecastErrors {
    return new ForecastErrors(8, 32);
  }

  /** The pace the estimate currently projects; undefined before any item. */
  pace(): Pace | undefined {
    return this.fitted;
  }

  perItemMs(): number {
    return this.fitted?.perItemMs ?? 0;
  }

  override slope(): number {
    return this.fitted?.slope ?? 0;
  }

  override observe(timeMs: number, completed: number): void {
    if (Number.isNaN(this.firstTime)) this.waits.start(completed);
    const before = this.lastTime;
    super.observe(timeMs, completed);
    // Forecasts of work are scored on the work clock (waits taken out); waits have their own model.
    if (this.lastTime === timeMs && before !== timeMs) this.errors.record(timeMs - this.rateLimitWaitMs, completed, this.perItemMs(), this.slope());
  }

  override observeRateLimitWait(timeMs: number, totalWaitMs: number): void {
    super.observeRateLimitWait(timeMs, totalWaitMs);
    this.waits.observe(this.lastCount, totalWaitMs);
  }

  override remainingFor(items: number): number {
    if (!this.fitted || !(this.fitted.perItemMs > 0)) return Number.NaN;
    return projectWork(this.fitted, items) + this.waits.expected(this.lastCount, items);
  }

  /**
   * Work and waits apart, then combined as independent: the work's interval from
   * the measured absolute log errors of work forecasts (symmetric, so errors of a
   * pace since abandoned still count; widened for horizons past the measured one
   * as drift adds up, and for shorter ones as noise averages less), the waits'
   * from their model's spread.
   */
  protected override intervalFor(_model: RateEstimator, items: number, remaining: number): [number, number] {
    const work = this.fitted ? projectWork(this.fitted, items) : remaining;
    const waits = this.waits.project(this.lastCount, items);
    let workLow = work / UNMEASURED_SPREAD;
    let workHigh = work * UNMEASURED_SPREAD;
    if (this.errors.count >= MIN_ERRORS) {
      // Split the measured spread at the measured horizon h into item noise (σ²/h, known
      // from the pace history) and the rest (level error, drift); at horizon R the noise
      // is σ²/R and the rest grows as a random walk, by (R/h)^HORIZON_EXPONENT.
      const h = Math.max(1, this.errors.meanHorizonItems);
      const noise = this.history.itemVariance();
      const itemVariance = Number.isFinite(noise) ? noise : 0;
      const measured = (this.errors.absoluteQuantile(LEVEL) / Z_80) ** 2;
      const drift = Math.max(0, measured - itemVariance / h);
      const grow = Math.min(MAX_HORIZON_WIDENING, (Math.max(1, items) / h) ** HORIZON_EXPONENT) ** 2;
      const spread = Math.exp(Z_80 * Math.sqrt(itemVariance / Math.max(1, items) + drift * grow));
      workLow = work / spread;
      workHigh = work * spread;
    }
    const waitHalf = Z_80 * waits.sd;
    const below = Math.hypot(work - workLow, Math.min(waits.mean, waitHalf));
    const above = Math.hypot(workHigh - work, waitHalf);
    return [Math.max(0, remaining - below), remaining + above];
  }

  protected update(_rate: number, intervalMs: number, items: number): void {
    if (items <= 0) {
      this.pendingWorkMs += intervalMs;
      return;
    }
    // lastCount is still the count before this interval.
    this.history.add(this.lastCount, items, intervalMs + this.pendingWorkMs);
    this.pendingWorkMs = 0;
    this.fitted = fitPace(this.history, this.lastCount + items);
  }
}
