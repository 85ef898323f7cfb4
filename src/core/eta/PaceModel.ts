import type { PaceHistory } from './PaceHistory.js';

/** The pace of the run's current segment, as the adaptive estimator projects it. */
export interface Pace {
  /** `mean`: steady since `since`; `trend`: time per item changing linearly with items since `since`. */
  readonly kind: 'mean' | 'trend';
  /** Items done when the current segment began (0: the whole run is one segment). */
  readonly since: number;
  /** Work time per item at the current position (ms). */
  readonly perItemMs: number;
  /** Change of the time per item per further item (0 for `mean`). */
  readonly slope: number;
}

/** Bins a segment needs before its mean counts (the one before a change too). */
const MIN_SEGMENT_BINS = 4;
/** Bins a segment needs before its trend counts. */
const MIN_TREND_BINS = 12;
/**
 * Penalty per fitted parameter, in units of ln(bins) (a BIC with the noise
 * known): a level or a slope is one parameter, a change of pace two more (its
 * place is picked from every boundary, so it is charged double).
 */
const PENALTY = 5;
/** For the fit, bins' ln τ are held within this many standard errors of the median of them and their neighbours. */
const CLAMP = 3;
/** Floor of the per-item log variance: 0.1% per item. */
const MIN_ITEM_VARIANCE = 1e-6;
/** A projected speed-up may not take the time per item below this share of the current one. */
const SPEEDUP_FLOOR = 0.25;

/**
 * Finds where the run's current pace began and whether it is flat or drifting:
 * every bin boundary is tried as the start of the last segment, the segment fitted
 * as a constant or a straight line in ln(time per item), what precedes it as a
 * constant, and the fit with the least penalised weighted squared error (bins
 * weighted by items, errors in units of the measured per-item noise) wins. With
 * no change found the pace is the overall mean, exactly the linear estimate.
 */
export function fitPace(history: PaceHistory, done: number): Pace | undefined {
  const bins = history.length;
  if (bins === 0) return undefined;
  // The noise is itself estimated, from few differences early on: judge against its upper
  // 95% bound (variance · n / χ²ₙ(0.05)), so a change must stand out even then. A perfectly
  // regular pace (no measured noise) makes any change significant, not none.
  const samples = history.noiseSamples;
  const variance = Math.max(MIN_ITEM_VARIANCE, (history.itemVariance() * samples) / chiSquareQuantile05(samples));
  const scale = Math.max(1, done);
  // Each bin's ln τ, held within ±CLAMP standard errors of the median of it and its neighbours
  // (a Hampel filter), so one outlying interval (a heavy-tailed item, a wait booked against the
  // wrong interval) weighs at most a few standard errors; a real change of pace shows in its
  // neighbours too and passes unchanged.
  const raw = new Float64Array(bins);
  for (let i = 0; i < bins; i++) raw[i] = Math.log(history.work[i]! / history.items[i]!);
  const ys = new Float64Array(bins);
  for (let i = 0; i < bins; i++) {
    const band = Number.isFinite(variance) ? CLAMP * Math.sqrt(variance / history.items[i]!) : Number.POSITIVE_INFINITY;
    // At the ends the missing neighbour is extrapolated from the two inside (Tukey's end rule).
    const left = i > 0 ? raw[i - 1]! : bins > 2 ? 2 * raw[1]! - raw[2]! : raw[i]!;
    const right = i < bins - 1 ? raw[i + 1]! : bins > 2 ? 2 * raw[bins - 2]! - raw[bins - 3]! : raw[i]!;
    const centre = median3(left, raw[i]!, right);
    ys[i] = Math.min(centre + band, Math.max(centre - band, raw[i]!));
  }
  // Suffix sums over bins of n, n·x, n·x², n·y, n·x·y, n·y² (x: bin centre / done, y: ln τ).
  const sums = new Float64Array((bins + 1) * 6);
  for (let i = bins - 1; i >= 0; i--) {
    const n = history.items[i]!;
    const x = (history.start[i]! + n / 2) / scale;
    const y = ys[i]!;
    const o = i * 6;
    const p = o + 6;
    sums[o] = sums[p]! + n;
    sums[o + 1] = sums[p + 1]! + n * x;
    sums[o + 2] = sums[p + 2]! + n * x * x;
    sums[o + 3] = sums[p + 3]! + n * y;
    sums[o + 4] = sums[p + 4]! + n * x * y;
    sums[o + 5] = sums[p + 5]! + n * y * y;
  }
  const range = (from: number, to: number, k: number) => sums[from * 6 + k]! - sums[to * 6 + k]!;
  const constRss = (from: number, to: number) => {
    const n = range(from, to, 0);
    return n > 0 ? Math.max(0, range(from, to, 5) - range(from, to, 3) ** 2 / n) : 0;
  };
  const lineRss = (from: number, to: number) => {
    const n = range(from, to, 0);
    const sxx = range(from, to, 2) - range(from, to, 1) ** 2 / n;
    const sxy = range(from, to, 4) - (range(from, to, 1) * range(from, to, 3)) / n;
    return sxx > 0 ? Math.max(0, constRss(from, to) - (sxy * sxy) / sxx) : constRss(from, to);
  };

  let since = 0;
  let kind: Pace['kind'] = 'mean';
  if (Number.isFinite(variance) && bins >= MIN_SEGMENT_BINS) {
    const penalty = PENALTY * Math.log(bins);
    let best = constRss(0, bins) / variance + penalty;
    if (bins >= MIN_TREND_BINS) {
      const score = lineRss(0, bins) / variance + 2 * penalty;
      if (score < best) [best, kind] = [score, 'trend'];
    }
    for (let k = MIN_SEGMENT_BINS; k + MIN_SEGMENT_BINS <= bins; k++) {
      const before = constRss(0, k);
      const flat = (before + constRss(k, bins)) / variance + 4 * penalty;
      if (flat < best) [best, since, kind] = [flat, k, 'mean'];
      if (bins - k >= MIN_TREND_BINS) {
        const line = (before + lineRss(k, bins)) / variance + 5 * penalty;
        if (line < best) [best, since, kind] = [line, k, 'trend'];
      }
    }
  }

  // The projection itself is in time per item (means of times, not of logs).
  let items = 0;
  let work = 0;
  for (let i = since; i < bins; i++) {
    items += history.items[i]!;
    work += history.work[i]!;
  }
  const mean = work / items;
  const start = history.start[since]!;
  if (kind === 'mean') return { kind, since: start, perItemMs: mean, slope: 0 };
  // Weighted least squares of τ on position: τ = mean + slope · (x − x̄).
  let sx = 0;
  for (let i = since; i < bins; i++) sx += history.items[i]! * (history.start[i]! + history.items[i]! / 2);
  const xBar = sx / items;
  let sxx = 0;
  let sxy = 0;
  for (let i = since; i < bins; i++) {
    const n = history.items[i]!;
    const dx = history.start[i]! + n / 2 - xBar;
    sxx += n * dx * dx;
    sxy += n * dx * (history.work[i]! / n - mean);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const now = Math.max(mean * SPEEDUP_FLOOR, mean + slope * (done - xBar));
  return { kind, since: start, perItemMs: now, slope };
}

/** Lower 5% quantile of χ² with n degrees of freedom (Wilson–Hilferty). */
function chiSquareQuantile05(n: number): number {
  const k = 2 / (9 * Math.max(1, n));
  return Math.max(1, n) * Math.max(0.01, 1 - k - 1.6449 * Math.sqrt(k)) ** 3;
}

const median3 = (a: number, b: number, c: number) => Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));

/** Work time for `items` more items at `pace`: the trend integrated, a speed-up floored. */
export function projectWork(pace: Pace, items: number): number {
  const { perItemMs: tau, slope } = pace;
  if (items <= 0) return 0;
  if (slope >= 0) return items * tau + (slope * items * items) / 2;
  const floor = tau * SPEEDUP_FLOOR;
  const reach = (tau - floor) / -slope; // items until the floor is reached
  if (items <= reach) return items * tau + (slope * items * items) / 2;
  return (reach * (tau + floor)) / 2 + (items - reach) * floor;
}
