import type { EtaCalculation } from './types.js';
import { ExponentialEstimator } from './ExponentialEstimator.js';
import { LinearEstimator } from './LinearEstimator.js';
import { RateEstimator } from './RateEstimator.js';
import { TrendEstimator } from './TrendEstimator.js';
import { WindowEstimator } from './WindowEstimator.js';

/**
 * Runs several models side by side (overall mean, recent EMA, recent window,
 * trend) and follows the one whose measured forecasts have been closest (mean
 * absolute log error), so a steady run gets the stable mean, a run whose pace
 * changed gets a recent rate, and a run that keeps slowing gets the trend.
 */
export class AdaptiveEstimator extends RateEstimator {
  readonly method = 'adaptive' as const;
  private readonly models: RateEstimator[] = [new LinearEstimator(), new ExponentialEstimator(), new WindowEstimator(), new TrendEstimator()];
  protected override scoresForecasts = false;

  perItemMs(): number {
    return this.best().perItemMs();
  }

  override observe(timeMs: number, completed: number): void {
    for (const model of this.models) model.observe(timeMs, completed);
    super.observe(timeMs, completed);
  }

  override observeRateLimitWait(timeMs: number, totalWaitMs: number): void {
    super.observeRateLimitWait(timeMs, totalWaitMs);
    for (const model of this.models) model.observeRateLimitWait(timeMs, totalWaitMs);
  }

  override estimate(nowMs: number, total: number): EtaCalculation | undefined {
    return this.estimateWith(this.best(), nowMs, total);
  }

  /** The model the adaptive estimate currently follows: the first model until errors are measured. */
  best(): RateEstimator {
    let best = this.models[0]!;
    let bestError = best.errors.meanAbsolute();
    for (const model of this.models) {
      const error = model.errors.meanAbsolute();
      if (error < bestError) {
        best = model;
        bestError = error;
      }
    }
    return best;
  }

  protected update(): void {}
}
