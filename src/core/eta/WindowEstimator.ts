import { RateEstimator } from './RateEstimator.js';

/** Rate over the last `size` observations (cli-progress's `etaBuffer` idea) in a fixed ring. */
export class WindowEstimator extends RateEstimator {
  readonly method = 'linear' as const;
  private readonly times: Float64Array;
  private readonly counts: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(private readonly size = 10) {
    super();
    this.times = new Float64Array(size);
    this.counts = new Float64Array(size);
  }

  override observe(timeMs: number, completed: number): void {
    super.observe(timeMs, completed);
    this.times[this.next] = timeMs;
    this.counts[this.next] = completed;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
  }

  perItemMs(): number {
    if (this.filled < 2) return 0;
    const newest = (this.next - 1 + this.size) % this.size;
    const oldest = this.filled < this.size ? 0 : this.next;
    const items = this.counts[newest]! - this.counts[oldest]!;
    const time = this.times[newest]! - this.times[oldest]!;
    return items > 0 && time > 0 ? time / items : 0;
  }

  protected update(): void {}
}
