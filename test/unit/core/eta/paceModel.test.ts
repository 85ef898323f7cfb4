import { describe, expect, it } from 'vitest';
import { PaceHistory } from '../../../../src/core/eta/PaceHistory.js';
import { fitPace, projectWork } from '../../../../src/core/eta/PaceModel.js';
import { normalCdf, RateLimitWaits } from '../../../../src/core/eta/RateLimitWaits.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Chunks of `size` items whose time per item is `tau(position)` × (1 ± 5%). */
function history(chunks: number, tau: (position: number) => number, size = 20, seed = 7) {
  const h = new PaceHistory(16);
  const rnd = lcg(seed);
  for (let i = 0; i < chunks; i++) h.add(i * size, size, size * tau(i * size) * (1 + (rnd() - 0.5) * 0.1));
  return h;
}

describe('PaceHistory', () => {
  it('covers the whole run in a fixed number of bins, merging neighbours when full', () => {
    const h = new PaceHistory(4);
    for (let i = 0; i < 9; i++) h.add(i * 10, 10, 100 + i);
    // 4 bins of 1, then 2 of 2, then up to 4 again; at 9 observations: widths 2,2,2,2 then a new 4-wide bin.
    expect(h.length).toBe(3);
    expect(Array.from(h.items.subarray(0, 3))).toEqual([40, 40, 10]);
    expect(Array.from(h.start.subarray(0, 3))).toEqual([0, 40, 80]);
    expect(Array.from(h.work.subarray(0, 3))).toEqual([100 + 101 + 102 + 103, 104 + 105 + 106 + 107, 108]);
  });

  it('measures per-item noise from successive intervals, undisturbed by one change of pace', () => {
    const h = new PaceHistory();
    expect(h.itemVariance()).toBeNaN();
    // Alternating ±10% around the pace, chunks of 25 items: d = ln(1.1/0.9), scaled by 1/(1/25 + 1/25).
    for (let i = 0; i < 41; i++) h.add(i * 25, 25, 25 * (i < 20 ? 10 : 30) * (i % 2 === 0 ? 1.1 : 0.9));
    const d2 = Math.log(1.1 / 0.9) ** 2 / (2 / 25);
    // Every difference but the one at the change is d2; the change is capped at 9× the median-based scale.
    expect(h.itemVariance()).toBeCloseTo((39 * d2 + 9 * (d2 / 0.455)) / 40, 9);
  });

  it('rejects an odd capacity with a message naming the field', () => {
    expect(() => new PaceHistory(5)).toThrow(/`capacity`/);
  });
});

describe('fitPace', () => {
  it('a steady run is one segment: the overall mean', () => {
    const h = history(40, () => 10);
    const pace = fitPace(h, 800)!;
    expect(pace).toMatchObject({ kind: 'mean', since: 0, slope: 0 });
    let items = 0;
    let work = 0;
    for (let i = 0; i < h.length; i++) [items, work] = [items + h.items[i]!, work + h.work[i]!];
    expect(pace.perItemMs).toBeCloseTo(work / items, 12);
  });

  it('a step change starts a new segment at the step', () => {
    const pace = fitPace(
      history(40, (x) => (x < 400 ? 30 : 10), 20),
      800,
    )!;
    // 10 bins of 4 chunks (80 items): the step at 400 is a bin boundary.
    expect(pace.kind).toBe('mean');
    expect(pace.since).toBe(400);
    expect(pace.perItemMs).toBeCloseTo(10, 0);
  });

  it('a steady slowdown is a trend with its slope', () => {
    const pace = fitPace(
      history(60, (x) => 10 + 0.01 * x, 20, 11),
      1200,
    )!;
    expect(pace.kind).toBe('trend');
    expect(pace.since).toBe(0);
    expect(pace.slope).toBeCloseTo(0.01, 2);
    expect(pace.perItemMs).toBeCloseTo(22, 0);
  });

  it('one outlying interval is not a change of pace, even when the pace is perfectly regular', () => {
    // 40 items at exactly 500 ms, then one item booked at 5 ms (a Retry-After wait reported
    // before it elapsed and taken out of the wrong interval).
    const h = new PaceHistory();
    for (let i = 0; i < 40; i++) h.add(i, 1, 500);
    h.add(40, 1, 5);
    expect(fitPace(h, 41)).toMatchObject({ kind: 'mean', since: 0 });
    // Five such items in a row are a change.
    for (let i = 41; i < 45; i++) h.add(i, 1, 5);
    expect(fitPace(h, 45)).toMatchObject({ kind: 'mean', since: 40, perItemMs: 5 });
  });

  it('too few bins to judge: the overall mean', () => {
    const pace = fitPace(
      history(3, (x) => (x < 40 ? 30 : 10)),
      60,
    )!;
    expect(pace).toMatchObject({ kind: 'mean', since: 0 });
  });
});

describe('projectWork', () => {
  it('integrates a flat pace, a slowing trend, and a speed-up floored at a quarter', () => {
    expect(projectWork({ kind: 'mean', since: 0, perItemMs: 10, slope: 0 }, 100)).toBe(1000);
    // Σ (10 + 0.1 u) over 100 items ≈ 100·10 + 0.1·100²/2.
    expect(projectWork({ kind: 'trend', since: 0, perItemMs: 10, slope: 0.1 }, 100)).toBeCloseTo(1500, 9);
    // Falls from 10 to the floor 2.5 after 75 items, then stays: 75·(10 + 2.5)/2 + 25·2.5.
    expect(projectWork({ kind: 'trend', since: 0, perItemMs: 10, slope: -0.1 }, 100)).toBeCloseTo(531.25, 9);
    expect(projectWork({ kind: 'mean', since: 0, perItemMs: 10, slope: 0 }, 0)).toBe(0);
  });
});

describe('RateLimitWaits', () => {
  it('nothing seen, nothing projected', () => {
    const w = new RateLimitWaits();
    w.start(0);
    expect(w.project(100, 1000)).toEqual({ mean: 0, sd: 0 });
  });

  it('regular waits: counts those due before the end, each with its chance', () => {
    const w = new RateLimitWaits();
    w.start(0);
    for (let k = 1; k <= 5; k++) w.observe(300 * k, 2000 * k);
    expect(w.count).toBe(5);
    // At 1800 the next is due now; the one after at 2100 is past a 2000-item run.
    // Gap spread: the prior's ±50% shrunk by four equal gaps, √(2·150²/6) ≈ 86.6 items, so
    // Φ(200/86.6) + Φ(−100/(86.6·√2)) + Φ(−400/(86.6·√3)) ≈ 0.990 + 0.206 + 0.004.
    const near = w.project(1800, 200);
    expect(near.mean / 2000).toBeCloseTo(1.2, 1);
    // Four waits (300 … 1200), 1300 done, 1000 items ahead: due at 1500, 1800, 2100 (near
    // certain, the last 0.89 with a spread of 95·√3) and 2400, past the end (0.30).
    const four = new RateLimitWaits();
    four.start(0);
    for (let k = 1; k <= 4; k++) four.observe(300 * k, 2000 * k);
    expect(four.project(1300, 1000).mean / 2000).toBeCloseTo(3.2, 1);
    // Equal durations: the spread is the prior's and the count's, not zero.
    expect(near.sd).toBeGreaterThan(0);
  });

  it('more wait reported at the same position is one longer episode', () => {
    const w = new RateLimitWaits();
    w.start(0);
    w.observe(100, 1000);
    w.observe(100, 3000);
    expect(w.count).toBe(1);
    // All 3 s of it kept: far ahead, one wait of 3 s every 100 items.
    expect(w.project(100, 1_000_000).mean).toBeCloseTo(10_000 * 3000, 0);
  });
});

describe('normalCdf', () => {
  it('matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.2816)).toBeCloseTo(0.9, 4);
    expect(normalCdf(-1.96)).toBeCloseTo(0.025, 4);
  });
});
