import { describe, expect, it } from 'vitest';
import { AdaptiveEstimator, createEstimator, ExponentialEstimator, LinearEstimator } from '../../../../src/core/eta/index.js';

/** Feeds `rateAt(i)` items/s, one observation per second. */
function feed(estimator: { observe(t: number, c: number): void }, seconds: number, rateAt: (i: number) => number, start = { t: 0, c: 0 }) {
  let { t, c } = start;
  estimator.observe(t, c);
  for (let i = 0; i < seconds; i++) {
    t += 1000;
    c += rateAt(i);
    estimator.observe(t, c);
  }
  return { t, c };
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('ETA estimators', () => {
  it('a constant rate gives the exact remaining time, for every method', () => {
    for (const method of ['linear', 'exponential', 'adaptive'] as const) {
      const e = createEstimator(method);
      const { t } = feed(e, 60, () => 10);
      const eta = e.estimate(t, 1000)!;
      expect(eta.method).toBe(method);
      expect(eta.estimatedTimeRemainingMs).toBeCloseTo(40_000, 6);
      expect(eta.estimatedCompletionTime).toBeCloseTo(t + 40_000, 6);
      expect(eta.factors.averageThroughput).toBeCloseTo(10, 9);
    }
  });

  it('is undefined until there is a rate', () => {
    const e = createEstimator('adaptive');
    expect(e.estimate(0, 100)).toBeUndefined();
    e.observe(0, 0);
    expect(e.estimate(0, 100)).toBeUndefined();
    e.observe(1000, 0);
    expect(e.estimate(1000, 100)).toBeUndefined();
  });

  it('the exponential model follows a step change within a few observations; linear lags', () => {
    const exp = new ExponentialEstimator(0.3);
    const lin = new LinearEstimator();
    const step = (i: number) => (i < 60 ? 20 : 5);
    feed(exp, 120, step);
    const end = feed(lin, 120, step);
    expect(exp.rate() * 1000).toBeCloseTo(5, 0);
    expect(lin.rate() * 1000).toBeCloseTo(12.5, 6);
    expect(exp.estimate(end.t, 2000)!.estimatedTimeRemainingMs).toBeGreaterThan(lin.estimate(end.t, 2000)!.estimatedTimeRemainingMs);
  });

  it('adaptive keeps the overall mean on a steady run and projects the trend of a run that keeps slowing', () => {
    const steady = new AdaptiveEstimator();
    const rnd = lcg(1);
    const s = feed(steady, 200, () => 10 + (rnd() - 0.5) * 8);
    expect(steady.pace()).toMatchObject({ kind: 'mean', since: 0, slope: 0 });
    const linearSteady = new LinearEstimator();
    const rnd2 = lcg(1);
    feed(linearSteady, 200, () => 10 + (rnd2() - 0.5) * 8);
    // No change found: exactly the linear estimate.
    expect(steady.estimate(s.t, 5000)!.estimatedTimeRemainingMs).toBeCloseTo(linearSteady.estimate(s.t, 5000)!.estimatedTimeRemainingMs, 6);

    const drifting = new AdaptiveEstimator();
    feed(drifting, 200, (i) => 40 - i * 0.18);
    // A run that keeps slowing is better served by its trend than by the overall mean.
    expect(drifting.pace()!.kind).toBe('trend');
    expect(drifting.pace()!.slope).toBeGreaterThan(0);
    const end = drifting.estimate(200_000, 10_000)!;
    const linear = new LinearEstimator();
    feed(linear, 200, (i) => 40 - i * 0.18);
    expect(end.estimatedTimeRemainingMs).toBeGreaterThan(linear.estimate(200_000, 10_000)!.estimatedTimeRemainingMs);
  });

  it('adaptive follows a change of pace with the mean since the change', () => {
    const e = new AdaptiveEstimator();
    const rnd = lcg(3);
    // 30 s at 5 items/s (a warm-up), then 60 s at 20 items/s, ±10% noise.
    const { t, c } = feed(e, 90, (i) => (i < 30 ? 5 : 20) * (1 + (rnd() - 0.5) * 0.2));
    const pace = e.pace()!;
    expect(pace.kind).toBe('mean');
    expect(pace.since).toBeGreaterThan(100);
    expect(pace.since).toBeLessThanOrEqual(160);
    expect(1000 / pace.perItemMs).toBeCloseTo(20, 0);
    expect(e.estimate(t, c + 2000)!.estimatedTimeRemainingMs).toBeCloseTo(100_000, -4);
  });

  it('projects periodic rate-limit waits: the next one when due, not a smeared average', () => {
    // 10 items/s of work; a 3 s Retry-After every 100 items.
    const e = new AdaptiveEstimator();
    const linear = new LinearEstimator();
    let t = 0;
    let c = 0;
    let waited = 0;
    for (const x of [e, linear]) x.observe(0, 0);
    for (let i = 1; i <= 50; i++) {
      if (i > 1 && (i - 1) % 10 === 0) {
        t += 3000;
        waited += 3000;
        for (const x of [e, linear]) x.observeRateLimitWait?.(t, waited);
      }
      t += 1000;
      c += 10;
      for (const x of [e, linear]) x.observe(t, c);
    }
    // 500 done, the last wait at 400: over the next 150 items the waits at 500 and 600 are due,
    // 15 s of work and 6 s of waiting. The renewal projection is close (the one at 600 with a
    // margin for spacing it has not seen yet); the average wait per item (4 × 3 s over 500
    // items) gives 3.6 s.
    const adaptive = e.estimate(t, c + 150)!.estimatedTimeRemainingMs;
    expect(Math.abs(adaptive - 21_000)).toBeLessThan(800);
    expect(linear.estimate(t, c + 150)!.estimatedTimeRemainingMs).toBeCloseTo(18_600, -2);
    // Fewer items ahead than the spacing: still the one due now, 5 s of work and 3 s of waiting.
    expect(Math.abs(e.estimate(t, c + 50)!.estimatedTimeRemainingMs - 8000)).toBeLessThan(500);
  });

  it('the interval comes from measured errors and widens with noise', () => {
    const quiet = createEstimator('linear');
    const noisy = createEstimator('linear');
    const r1 = lcg(2);
    const r2 = lcg(2);
    const a = feed(quiet, 100, () => 10 + (r1() - 0.5) * 1);
    const b = feed(noisy, 100, () => 10 + (r2() - 0.5) * 16);
    const q = quiet.estimate(a.t, 3000)!;
    const n = noisy.estimate(b.t, 3000)!;
    const width = (x: typeof q) => (x.interval.highMs - x.interval.lowMs) / x.estimatedTimeRemainingMs;
    expect(width(n)).toBeGreaterThan(width(q));
    expect(q.interval.lowMs).toBeLessThanOrEqual(q.estimatedTimeRemainingMs);
    expect(q.interval.highMs).toBeGreaterThanOrEqual(q.estimatedTimeRemainingMs);
    expect(q.confidence).toBeGreaterThan(n.confidence);
    expect(q.interval.level).toBe(0.8);
  });

  it('confidence is 0 until forecast errors were measured', () => {
    const e = createEstimator('adaptive');
    feed(e, 5, () => 10);
    expect(e.estimate(5000, 1000)!.confidence).toBe(0);
  });

  it('state stays fixed-size however long the run', () => {
    const e = new AdaptiveEstimator();
    feed(e, 100, () => 10);
    const size = JSON.stringify(e).length;
    feed(e, 10_000, () => 10, { t: 100_000, c: 1000 });
    expect(JSON.stringify(e).length).toBeLessThan(size * 1.5);
  });

  it('learns the pace of the work apart from rate-limit waits, and adds the average wait back per item', () => {
    // 10 items/s of work, plus a 5 s Retry-After wait every 10 s: 100 items every 15 s.
    const e = new ExponentialEstimator(0.3);
    let t = 0;
    let c = 0;
    let waited = 0;
    e.observe(0, 0);
    for (let i = 1; i <= 40; i++) {
      if (i % 10 === 0) {
        t += 5000;
        waited += 5000;
        e.observeRateLimitWait?.(t, waited);
      }
      t += 1000;
      c += 10;
      e.observe(t, c);
    }
    // Right after a run of unhindered intervals, a rate-only EMA would say 100 items in 10 s;
    // with the waits accounted for it is 15 s, the true average.
    expect(e.estimate(t, c + 100)!.estimatedTimeRemainingMs).toBeCloseTo(15_000, -2);
  });

  it('reports rate-limit impact as the share of elapsed time spent waiting', () => {
    const e = createEstimator('adaptive');
    const { t } = feed(e, 100, () => 10);
    e.observeRateLimitWait?.(t, 25_000);
    expect(e.estimate(t, 5000)!.factors.rateLimitingImpact).toBeCloseTo(0.25, 6);
  });

  it('on noisy steady workloads the 80% interval covers roughly 80% of outcomes', () => {
    let covered = 0;
    let cases = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = lcg(seed);
      const e = createEstimator('adaptive');
      const total = 4000;
      const rates = Array.from({ length: 400 }, () => 10 * Math.exp((rnd() - 0.5) * 0.8));
      let t = 0;
      let c = 0;
      e.observe(0, 0);
      const times: number[] = [];
      for (const r of rates) {
        t += 1000;
        c += r;
        times.push(t);
        e.observe(t, c);
        if (c >= total) break;
      }
      // Score at 50% progress: replay and ask, knowing when the run actually ended.
      const replay = createEstimator('adaptive');
      let tt = 0;
      let cc = 0;
      replay.observe(0, 0);
      for (const r of rates) {
        tt += 1000;
        cc += r;
        replay.observe(tt, cc);
        if (cc >= total / 2) break;
      }
      const eta = replay.estimate(tt, total)!;
      const truth = times[times.length - 1]! - tt;
      cases++;
      if (truth >= eta.interval.lowMs - 1000 && truth <= eta.interval.highMs + 1000) covered++;
    }
    // Wide tolerance: a smoke check; bench/eta measures coverage properly.
    expect(covered / cases).toBeGreaterThan(0.6);
  });
});
