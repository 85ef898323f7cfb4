import { ForecastErrors } from './ForecastErrors.js';
import type { EtaEstimate, EtaEstimator, EtaMethod } from './types.js';

/** Errors needed before the interval is measured rather than assumed. */
export const MIN_ERRORS = 8;
/** ±20% in log space: the band the confidence score is about. */
const CONFIDENCE_BAND = Math.log(1.2);
export const LEVEL = 0.8;
/**
 * Forecast errors are measured a few chunks ahead, but the remaining time
 * spans more: errors from drift grow with the horizon. The interval widens by
 * (remaining items / measured horizon)^HORIZON_EXPONENT, at most this much.
 */
const MAX_HORIZON_WIDENING = 4;
const HORIZON_EXPONENT = 0.75;
export const UNMEASURED_SPREAD = 3;

/**
 * An estimator built on a model of time per item (and, for trend models, its
 * change per item): remaining = R·τ + slope·R²/2. The interval and confidence
 * come from the model's own measured forecast errors.
 */
export abstract class RateEstimator implements EtaEstimator {
  abstract readonly method: EtaMethod;
  protected firstTime = Number.NaN;
  protected firstCount = 0;
  protected lastTime = Number.NaN;
  protected lastCount = 0;
  protected lastIntervalRate = 0;
  protected rateLimitWaitMs = 0;
  private waitAtLastObservation = 0;
  /** Observations that saw progress: items arrive in steps of (lastCount - firstCount) / this. */
  private progressSteps = 0;
  readonly errors: ForecastErrors = this.createErrors();
  /** Adaptive delegates to its models' errors and keeps none of its own. */
  protected scoresForecasts = true;

  protected createErrors(): ForecastErrors {
    return new ForecastErrors();
  }

  /** Milliseconds per item the model expects next; 0 when unknown. */
  abstract perItemMs(): number;
  /** Change of ms-per-item per further item; 0 for flat models. */
  slope(): number {
    return 0;
  }
  protected abstract update(intervalRate: number, intervalMs: number, items: number): void;

  /** Items per millisecond the model expects next; 0 when unknown. */
  rate(): number {
    const tau = this.perItemMs();
    return tau > 0 ? 1 / tau : 0;
  }

  observe(timeMs: number, completed: number): void {
    if (Number.isNaN(this.firstTime)) {
      this.firstTime = this.lastTime = timeMs;
      this.firstCount = this.lastCount = completed;
      return;
    }
    const dt = timeMs - this.lastTime;
    const dc = completed - this.lastCount;
    if (dt <= 0 || dc < 0) return;
    this.lastIntervalRate = dc / dt;
    // Models learn the pace of the work itself; time spent waiting on rate limits is
    // added back as the run's average wait per item (see remainingFor).
    const waited = Math.min(dt * 0.99, Math.max(0, this.rateLimitWaitMs - this.waitAtLastObservation));
    this.waitAtLastObservation = this.rateLimitWaitMs;
    this.update(dc / (dt - waited), dt - waited, dc);
    this.lastTime = timeMs;
    this.lastCount = completed;
    if (dc > 0) this.progressSteps++;
    // The forecast scored is of elapsed time, waits included, as the truth is.
    if (this.scoresForecasts) this.errors.record(timeMs, completed, this.perItemMs() + this.waitPerItemMs(), this.slope());
  }

  observeRateLimitWait(_timeMs: number, totalWaitMs: number): void {
    this.rateLimitWaitMs = totalWaitMs;
  }

  /** Rate-limit wait expected per further item (ms): the run's average so far. */
  protected waitPerItemMs(): number {
    const done = this.lastCount - this.firstCount;
    return done > 0 ? this.rateLimitWaitMs / done : 0;
  }

  averageRate(): number {
    const elapsed = this.lastTime - this.firstTime;
    return elapsed > 0 ? (this.lastCount - this.firstCount) / elapsed : 0;
  }

  /** Remaining time for `items` more items under this model. */
  remainingFor(items: number): number {
    const tau = this.perItemMs();
    if (!(tau > 0)) return Number.NaN;
    // A slowing trend adds up; a speeding one may not take the time below a fifth of flat.
    const work = Math.max(items * tau * 0.2, items * tau + (this.slope() * items * items) / 2);
    const done = this.lastCount - this.firstCount;
    return work + (done > 0 ? (this.rateLimitWaitMs / done) * items : 0);
  }

  estimate(nowMs: number, total: number, completed?: number): EtaEstimate | undefined {
    return this.estimateWith(this, nowMs, total, completed);
  }

  /**
   * The 80% interval of `remaining` for `items` more items: the model's measured
   * log errors, widened by `widen` for the horizon.
   */
  protected intervalFor(model: RateEstimator, _items: number, remaining: number, widen: number): [number, number] {
    const errors = model.errors;
    // Before errors are measured nothing is known about the spread: a wide, honest default.
    if (errors.count < MIN_ERRORS) return [remaining / UNMEASURED_SPREAD, remaining * UNMEASURED_SPREAD];
    return [remaining * Math.exp(widen * errors.quantile((1 - LEVEL) / 2)), remaining * Math.exp(widen * errors.quantile(1 - (1 - LEVEL) / 2))];
  }

  /**
   * The estimate of `model`, reported under this estimator's method, at `nowMs` with
   * `completed` items done (the count of the last observation when not given).
   *
   * Between observations the estimate stays current: items counted since are taken
   * off, and time passed since that the items counted do not explain is work in
   * flight on the next ones, credited up to one observation step's worth of work. So
   * the completion time holds still while progress keeps its pace and moves only
   * once progress is overdue.
   */
  protected estimateWith(model: RateEstimator, nowMs: number, total: number, completed?: number): EtaEstimate | undefined {
    const done = completed !== undefined && completed > this.lastCount ? completed : this.lastCount;
    const items = Math.max(0, total - done);
    const work = model.remainingFor(items);
    if (!Number.isFinite(work) || Number.isNaN(this.lastTime)) return undefined;
    let remaining = work;
    const since = nowMs - this.lastTime;
    if (since > 0 && work > 0 && this.progressSteps > 0) {
      const explained = done > this.lastCount ? Math.max(0, model.remainingFor(total - this.lastCount) - work) : 0;
      const step = model.remainingFor((this.lastCount - this.firstCount) / this.progressSteps);
      const credit = Math.min(Math.max(0, since - explained), Number.isFinite(step) ? step : 0, work);
      remaining = work - credit;
    }
    const errors = model.errors;
    const measured = errors.count >= MIN_ERRORS;
    const widen = measured ? Math.min(MAX_HORIZON_WIDENING, Math.max(1, Math.pow(items / Math.max(1, errors.meanHorizonItems), HORIZON_EXPONENT))) : 1;
    const [workLow, workHigh] = this.intervalFor(model, items, work, widen);
    const scale = work > 0 ? remaining / work : 1;
    const low = workLow * scale;
    const high = workHigh * scale;
    const average = this.averageRate();
    const elapsed = this.lastTime - this.firstTime;
    return {
      method: this.method,
      estimatedTimeRemainingMs: remaining,
      estimatedCompletionTime: nowMs + remaining,
      interval: { lowMs: Math.min(low, remaining), highMs: Math.max(high, remaining), level: LEVEL },
      confidence: measured ? errors.shareWithin(CONFIDENCE_BAND / widen) : 0,
      factors: {
        currentThroughput: this.lastIntervalRate * 1000,
        averageThroughput: average * 1000,
        rateLimitingImpact: elapsed > 0 ? Math.min(1, this.rateLimitWaitMs / elapsed) : 0,
        complexityFactor: this.lastIntervalRate > 0 && average > 0 ? average / this.lastIntervalRate : 1,
        historicalAccuracy: measured ? Math.max(0, 1 - Math.abs(Math.expm1(errors.quantile(0.5)))) : 0,
      },
    };
  }
}
