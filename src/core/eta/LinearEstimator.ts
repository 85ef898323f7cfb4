import { RateEstimator } from './RateEstimator.js';

/** Overall mean rate since the first observation: steady, slow to notice change. */
export class LinearEstimator extends RateEstimator {
  readonly method = 'linear' as const;

  rate(): number {
    return this.averageRate();
  }

  protected update(): void {}
}
