import { RateEstimator } from './RateEstimator.js';

/**
 * Exponentially weighted recent rate, as tqdm's `smoothing`: the item and time
 * deltas of each observation are smoothed separately and divided, so long
 * intervals weigh more than short ones and any time scale works. Bias-corrected
 * so the first observations are not pulled towards zero.
 */
export class ExponentialEstimator extends RateEstimator {
  readonly method = 'exponential' as const;
  private items = 0;
  private time = 0;
  private updates = 0;

  /** @param alpha weight of the newest observation (tqdm's default is 0.3). */
  constructor(private readonly alpha = 0.3) {
    super();
  }

  perItemMs(): number {
    if (this.updates === 0 || this.items <= 0) return 0;
    // The bias corrections of numerator and denominator cancel in the ratio.
    return this.time / this.items;
  }

  protected update(_intervalRate: number, intervalMs: number, items: number): void {
    this.items = this.alpha * items + (1 - this.alpha) * this.items;
    this.time = this.alpha * intervalMs + (1 - this.alpha) * this.time;
    this.updates++;
  }
}
