import { RateEstimator } from './RateEstimator.js';

/**
 * Holt's double exponential smoothing of the time per item: a level and its
 * trend per item, so a run that keeps slowing down is projected to keep
 * slowing down instead of being caught up with late.
 */
export class TrendEstimator extends RateEstimator {
  readonly method = 'exponential' as const;
  private level = 0;
  private trend = 0;
  private updates = 0;
  private itemsSeen = 0;

  constructor(
    private readonly alpha = 0.2,
    private readonly beta = 0.1,
  ) {
    super();
  }

  perItemMs(): number {
    return this.updates >= 2 ? this.level : 0;
  }

  override slope(): number {
    return this.updates >= 4 ? this.trend : 0;
  }

  protected update(_rate: number, intervalMs: number, items: number): void {
    if (items <= 0) return;
    const tau = intervalMs / items;
    if (this.updates === 0) {
      this.level = tau;
    } else {
      const previous = this.level;
      // Trend is per item, so intervals of different sizes compare.
      this.level = this.alpha * tau + (1 - this.alpha) * (previous + this.trend * items);
      this.trend = this.beta * ((this.level - previous) / items) + (1 - this.beta) * this.trend;
    }
    this.itemsSeen += items;
    this.updates++;
  }
}
