import { RateEstimator } from './RateEstimator.js';

/** Overall mean rate since the first observation: steady, slow to notice change. */
export class LinearEstimator extends RateEstimator {
  readonly method = 'linear' as const;

  /** Work time per item, rate-limit waits excluded (they are added back per item). */
  perItemMs(): number {
    const done = this.lastCount - this.firstCount;
    const work = this.lastTime - this.firstTime - this.rateLimitWaitMs;
    return done > 0 && work > 0 ? work / done : 0;
  }

  protected update(): void {}
}
