import { RingCursor } from '../RingCursor.js';

/**
 * Measured forecast errors of one rate model, in fixed memory.
 *
 * Each observation stores the model's rate forecast in a ring. When later
 * progress arrives, the oldest forecast that has seen enough progress is scored:
 * error = ln(actual time for the items done since / time the forecast predicted).
 * The last `size` scored errors give empirical quantiles, so the interval widens
 * with noise and with drift the model failed to follow.
 */
export class ForecastErrors {
  private readonly times: Float64Array;
  private readonly counts: Float64Array;
  private readonly perItem: Float64Array;
  private readonly slopes: Float64Array;
  /** Items between forecast and scoring, summed, for the mean horizon of the errors. */
  private horizonItems = 0;
  private readonly forecasts: RingCursor;
  private readonly errors: Float64Array;
  private readonly horizons: Float64Array;
  private readonly scored: RingCursor;

  constructor(ringSize = 16, size = 64) {
    this.times = new Float64Array(ringSize);
    this.counts = new Float64Array(ringSize);
    this.perItem = new Float64Array(ringSize);
    this.slopes = new Float64Array(ringSize);
    this.errors = new Float64Array(size);
    this.horizons = new Float64Array(size);
    this.forecasts = new RingCursor(ringSize);
    this.scored = new RingCursor(size);
  }

  /**
   * Scores the oldest pending forecast against (t, c), then stores the new one:
   * `perItemMs` now and its change per further item (`slope`, 0 for flat models).
   */
  record(timeMs: number, completed: number, perItemMs: number, slope = 0): void {
    if (this.forecasts.full) {
      const oldest = this.forecasts.slot(0);
      const items = completed - this.counts[oldest]!;
      const elapsed = timeMs - this.times[oldest]!;
      const predicted = items * this.perItem[oldest]! + (this.slopes[oldest]! * items * items) / 2;
      if (items > 0 && elapsed > 0 && predicted > 0 && Number.isFinite(predicted)) {
        const replaces = this.scored.full;
        const slot = this.scored.advance();
        if (replaces) this.horizonItems -= this.horizons[slot]!;
        this.errors[slot] = Math.log(elapsed / predicted);
        this.horizons[slot] = items;
        this.horizonItems += items;
      }
    }
    if (!(perItemMs > 0) || !Number.isFinite(perItemMs)) return;
    const slot = this.forecasts.advance();
    this.times[slot] = timeMs;
    this.counts[slot] = completed;
    this.perItem[slot] = perItemMs;
    this.slopes[slot] = Number.isFinite(slope) ? slope : 0;
  }

  /** Mean number of items the scored forecasts looked ahead. */
  get meanHorizonItems(): number {
    return this.scored.count === 0 ? 0 : this.horizonItems / this.scored.count;
  }

  get count(): number {
    return this.scored.count;
  }

  /** Empirical quantile of the log errors; 0 when none. */
  quantile(q: number): number {
    return interpolatedQuantile(Array.from(this.errors.subarray(0, this.scored.count)), q);
  }

  /** Empirical quantile of the absolute log errors; 0 when none. */
  absoluteQuantile(q: number): number {
    return interpolatedQuantile(Array.from(this.errors.subarray(0, this.scored.count), Math.abs), q);
  }

  /** Share of measured errors within ±band (in log space): the confidence definition. */
  shareWithin(band: number): number {
    if (this.scored.count === 0) return 0;
    let inside = 0;
    for (let i = 0; i < this.scored.count; i++) if (Math.abs(this.errors[i]!) <= band) inside++;
    return inside / this.scored.count;
  }

  /** Mean absolute log error; Infinity when none (so an unscored model never wins). */
  meanAbsolute(): number {
    if (this.scored.count === 0) return Number.POSITIVE_INFINITY;
    let sum = 0;
    for (let i = 0; i < this.scored.count; i++) sum += Math.abs(this.errors[i]!);
    return sum / this.scored.count;
  }
}

/** The q-quantile of `values` (sorted in place), linearly interpolated between ranks; 0 for none. */
function interpolatedQuantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  const rank = q * (values.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(values.length - 1, low + 1);
  return values[low]! + (values[high]! - values[low]!) * (rank - low);
}
