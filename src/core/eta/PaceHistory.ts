import { RingCursor } from '../RingCursor.js';

/**
 * The work pace of the whole run in fixed memory: up to `capacity` bins of
 * (items, work time, position), each the sum of consecutive observations. When
 * the bins are full, neighbours merge pairwise and each bin spans twice as many
 * observations, so the run is always covered end to end at a resolution that
 * halves as it grows.
 *
 * Also keeps a robust estimate of the noise of the time per item: successive
 * observations of a steady pace differ by chance alone, so the median of
 * their squared log differences (scaled by items) measures the per-item
 * variance without being moved by a change of pace or a trend.
 */
export class PaceHistory {
  readonly items: Float64Array;
  readonly work: Float64Array;
  /** Items done before each bin's first item. */
  readonly start: Float64Array;
  private readonly spans: Uint32Array;
  private width = 1;
  private bins = 0;
  private readonly diffs: Float64Array;
  private readonly diffRing: RingCursor;
  private lastLogTau = Number.NaN;
  private lastItems = 0;

  constructor(
    private readonly capacity = 64,
    diffWindow = 64,
  ) {
    if (capacity < 4 || capacity % 2 !== 0) throw new Error(`Expected \`capacity\` to be an even number from 4 up, got \`${capacity}\``);
    this.items = new Float64Array(capacity);
    this.work = new Float64Array(capacity);
    this.start = new Float64Array(capacity);
    this.spans = new Uint32Array(capacity);
    this.diffs = new Float64Array(diffWindow);
    this.diffRing = new RingCursor(diffWindow);
  }

  /** Differences the noise estimate rests on. */
  get noiseSamples(): number {
    return this.diffRing.count;
  }

  get length(): number {
    return this.bins;
  }

  /** One observed interval: `items` (> 0) done in `workMs` of work, starting after `position` items. */
  add(position: number, items: number, workMs: number): void {
    if (!(items > 0) || !(workMs > 0)) return;
    const logTau = Math.log(workMs / items);
    if (!Number.isNaN(this.lastLogTau)) {
      const d = logTau - this.lastLogTau;
      this.diffs[this.diffRing.advance()] = (d * d) / (1 / items + 1 / this.lastItems);
    }
    this.lastLogTau = logTau;
    this.lastItems = items;

    const last = this.bins - 1;
    if (last >= 0 && this.spans[last]! < this.width) {
      this.items[last]! += items;
      this.work[last]! += workMs;
      this.spans[last]!++;
      return;
    }
    if (this.bins === this.capacity) this.halve();
    const i = this.bins++;
    this.items[i] = items;
    this.work[i] = workMs;
    this.start[i] = position;
    this.spans[i] = 1;
  }

  /**
   * Variance of ln(time per item) for a single item (a bin of n items has
   * variance / n); NaN before two intervals were seen. The mean of the scaled
   * squared differences, each capped at 9× a robust scale (their median over
   * the median of χ²₁, 0.455): heavy tails still count, a single jump where
   * the pace changed barely does.
   */
  itemVariance(): number {
    if (this.diffRing.count === 0) return Number.NaN;
    const values = Array.from(this.diffs.subarray(0, this.diffRing.count));
    const sorted = [...values].sort((a, b) => a - b);
    const mid = (sorted.length - 1) / 2;
    const cap = (9 * (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!)) / 2 / 0.455;
    let sum = 0;
    for (const v of values) sum += Math.min(v, cap);
    return sum / values.length;
  }

  private halve(): void {
    const half = this.capacity / 2;
    for (let i = 0; i < half; i++) {
      this.items[i] = this.items[2 * i]! + this.items[2 * i + 1]!;
      this.work[i] = this.work[2 * i]! + this.work[2 * i + 1]!;
      this.start[i] = this.start[2 * i]!;
      this.spans[i] = this.spans[2 * i]! + this.spans[2 * i + 1]!;
    }
    this.bins = half;
    this.width *= 2;
  }
}
