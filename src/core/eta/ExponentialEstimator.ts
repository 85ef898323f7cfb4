import { RateEstimator } from './RateEstimator.js';

/**
 * Exponentially weighted rate of recent intervals, like tqdm's `smoothing`.
 * Intervals are weighted by duration so a burst of tiny chunks does not swamp it.
 */
export class ExponentialEstimator extends RateEstimator {
  readonly method = 'exponential' as const;
  private smoothed = 0;
  private weight = 0;

  /** @param halfLifeMs time for an old rate to lose half its weight. */
  constructor(private readonly halfLifeMs = 30_000) {
    super();
  }

  rate(): number {
    return this.weight > 0 ? this.smoothed : 0;
  }

  protected update(intervalRate: number, intervalMs: number): void {
    const keep = Math.pow(0.5, intervalMs / this.halfLifeMs);
    this.smoothed = this.weight > 0 ? keep * this.smoothed + (1 - keep) * intervalRate : intervalRate;
    this.weight = 1;
  }
}
