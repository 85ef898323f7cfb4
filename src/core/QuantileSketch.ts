/**
 * Fixed-memory quantile sketch with bounded relative error (DDSketch's
 * logarithmic mapping): percentiles of millions of durations without keeping
 * them. Values are positive milliseconds; zero and below land in one bucket.
 */
export class QuantileSketch {
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly offset: number;
  private readonly buckets: Uint32Array;
  private zeros = 0;
  private n = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;
  private total = 0;

  /**
   * @param relativeAccuracy e.g. 0.01: a reported quantile is within 1% of a real sample.
   * @param minValue smallest distinguishable value (smaller values clamp to it).
   * @param maxValue largest distinguishable value (larger values clamp to it).
   */
  constructor(relativeAccuracy = 0.01, minValue = 1e-3, maxValue = 1e9) {
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
    this.offset = Math.floor(Math.log(minValue) / this.logGamma);
    const size = Math.ceil(Math.log(maxValue) / this.logGamma) - this.offset + 1;
    // Uint32 counts: half the memory of floats, and 4 billion samples per bucket is plenty.
    this.buckets = new Uint32Array(size);
  }

  add(value: number): void {
    this.n++;
    this.total += value;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    if (value <= 0) {
      this.zeros++;
      return;
    }
    let index = Math.ceil(Math.log(value) / this.logGamma) - this.offset;
    if (index < 0) index = 0;
    else if (index >= this.buckets.length) index = this.buckets.length - 1;
    this.buckets[index]! += 1;
  }

  get count(): number {
    return this.n;
  }
  get sum(): number {
    return this.total;
  }
  get min(): number {
    return this.n === 0 ? 0 : this.minValue;
  }
  get max(): number {
    return this.n === 0 ? 0 : this.maxValue;
  }
  get mean(): number {
    return this.n === 0 ? 0 : this.total / this.n;
  }

  /** How far the largest sample lies above the smallest, in percent of the smallest; undefined when empty or the smallest is 0. */
  get spreadPercent(): number | undefined {
    return this.n > 0 && this.minValue > 0 ? ((this.maxValue - this.minValue) / this.minValue) * 100 : undefined;
  }

  /** q in [0, 1]; 0 when empty. Exact at the extremes, within the relative accuracy between. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    if (q <= 0) return this.minValue;
    if (q >= 1) return this.maxValue;
    const rank = q * (this.n - 1);
    if (rank < this.zeros) return Math.min(0, this.maxValue);
    let seen = this.zeros;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen > rank) {
        // Midpoint of the bucket in the log domain keeps the error symmetric.
        const value = (2 * Math.pow(this.gamma, i + this.offset)) / (this.gamma + 1);
        return Math.min(Math.max(value, this.minValue), this.maxValue);
      }
    }
    return this.maxValue;
  }

  /** Share of samples at or below a value, for distribution buckets. */
  fractionAtOrBelow(value: number): number {
    if (this.n === 0) return 0;
    if (value < 0) return 0;
    let seen = this.zeros;
    const limit = Math.ceil(Math.log(Math.max(value, 1e-300)) / this.logGamma) - this.offset;
    for (let i = 0; i <= Math.min(limit, this.buckets.length - 1); i++) seen += this.buckets[i]!;
    return seen / this.n;
  }
}
