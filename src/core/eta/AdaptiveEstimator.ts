import type { EtaCalculation } from './types.js';
import { ExponentialEstimator } from './ExponentialEstimator.js';
import { LinearEstimator } from './LinearEstimator.js';
import { RateEstimator } from './RateEstimator.js';

/**
 * Runs a linear and an exponential model side by side and follows the one whose
 * measured forecasts have been closer (mean absolute log error), so a steady run
 * gets the stable mean and a run whose pace changed gets the recent rate.
 */
export class AdaptiveEstimator extends RateEstimator {
  readonly method = 'adaptive' as const;
  private readonly linear = new LinearEstimator();
  private readonly exponential = new ExponentialEstimator();
  protected override scoresForecasts = false;

  rate(): number {
    return this.best().rate();
  }

  override observe(timeMs: number, completed: number): void {
    this.linear.observe(timeMs, completed);
    this.exponential.observe(timeMs, completed);
    super.observe(timeMs, completed);
  }

  override observeRateLimitWait(timeMs: number, totalWaitMs: number): void {
    super.observeRateLimitWait(timeMs, totalWaitMs);
    this.linear.observeRateLimitWait(timeMs, totalWaitMs);
    this.exponential.observeRateLimitWait(timeMs, totalWaitMs);
  }

  override estimate(nowMs: number, total: number): EtaCalculation | undefined {
    return this.estimateWith(this.best(), nowMs, total);
  }

  /** Which model the adaptive estimate currently follows. */
  best(): RateEstimator {
    return this.exponential.errors.meanAbsolute() < this.linear.errors.meanAbsolute() ? this.exponential : this.linear;
  }

  protected update(): void {}
}
