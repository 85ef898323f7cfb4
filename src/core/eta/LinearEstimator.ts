import { RateEstimator } from './RateEstimator.js';

/** Overall mean rate since the first observation: steady, slow to notice change. */
export class LinearEstimator extends RateEstimator {
  readonly method = 'linear' as const;

  perItemMs(): number {
    const rate = this.averageRate();
    return rate > 0 ? 1 / rate : 0;
  }

  protected update(): void {}
}
