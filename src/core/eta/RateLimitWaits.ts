/**
 * Rate-limit waits (Retry-After) as events at positions in the run: how long
 * they last and how many items apart they come. Quota windows make such waits
 * recur at regular spacing, so the waits still ahead are projected as a renewal
 * process: the next one due a mean gap after the last, then one every mean gap,
 * each counted with the probability that it falls before the run ends (normal
 * spread of the gaps, measured, shrunk towards a prior of ±50% while few are
 * seen). Memory is O(1).
 */
export class RateLimitWaits {
  private total = 0;
  private events = 0;
  private durations = 0;
  private durationSquares = 0;
  private lastDuration = 0;
  private origin = Number.NaN;
  private lastPosition = Number.NaN;
  private gapSum = 0;
  private gapSquares = 0;

  /** Gap spread assumed before gaps are measured, as a share of the mean gap. */
  private static readonly PRIOR_SPREAD = 0.5;
  /** Weight of that prior, in gaps. */
  private static readonly PRIOR_WEIGHT = 2;

  /** The run started at `position` items (gaps count from there). */
  start(position: number): void {
    if (Number.isNaN(this.origin)) this.origin = position;
  }

  /** Cumulative wait `totalWaitMs`, reported when `position` items were done. */
  observe(position: number, totalWaitMs: number): void {
    const added = totalWaitMs - this.total;
    if (!(added > 0)) return;
    this.total = totalWaitMs;
    this.durations += added;
    if (Number.isNaN(this.origin)) this.origin = position;
    if (this.events > 0 && position === this.lastPosition) {
      // More waiting at the same position: the same episode, longer.
      this.durationSquares += (this.lastDuration + added) ** 2 - this.lastDuration ** 2;
      this.lastDuration += added;
      return;
    }
    this.lastDuration = added;
    this.durationSquares += added * added;
    const gap = position - (this.events === 0 ? this.origin : this.lastPosition);
    this.gapSum += gap;
    this.gapSquares += gap * gap;
    this.events++;
    this.lastPosition = position;
  }

  get count(): number {
    return this.events;
  }

  /** Expected rate-limit wait (ms) in the next `items` items, `done` items done. */
  expected(done: number, items: number): number {
    return this.project(done, items).mean;
  }

  /**
   * Mean and standard deviation of the rate-limit wait (ms) in the next `items`
   * items: the count of waits still due (a sum of Bernoulli chances), their
   * durations (spread measured, shrunk towards the prior), and the uncertainty
   * of the mean duration itself.
   */
  project(done: number, items: number): { mean: number; sd: number } {
    if (this.events === 0 || items <= 0) return { mean: 0, sd: 0 };
    const m = this.events;
    const duration = this.durations / m;
    const weight = RateLimitWaits.PRIOR_WEIGHT;
    const durationVariance =
      (weight * (RateLimitWaits.PRIOR_SPREAD * duration) ** 2 + Math.max(0, this.durationSquares - m * duration * duration)) / (weight + m - 1);
    const gap = this.gapSum / m;
    let count = 0;
    let countVariance = 0;
    if (!(gap > 0)) {
      count = (m / Math.max(1, done - this.origin)) * items;
      countVariance = count; // Poisson
    } else if (items / gap > 200) {
      count = items / gap; // many to come: the mean rate is enough
      countVariance = count;
    } else {
      const gapVariance = (weight * (RateLimitWaits.PRIOR_SPREAD * gap) ** 2 + Math.max(0, this.gapSquares - m * gap * gap)) / (weight + m - 1);
      const spread = Math.sqrt(gapVariance);
      const first = Math.max(0, this.lastPosition + gap - done); // items until the next one is due
      for (let k = 0; ; k++) {
        const due = first + k * gap;
        const p = normalCdf((items - due) / (spread * Math.sqrt(k + 1)));
        count += p;
        countVariance += p * (1 - p);
        if (p < 1e-4 && due > items) break;
      }
    }
    const variance = count * durationVariance + duration * duration * countVariance + (count * count * durationVariance) / m;
    return { mean: count * duration, sd: Math.sqrt(variance) };
  }
}

/** Φ(z), Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
