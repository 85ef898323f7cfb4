/**
 * Seeded synthetic batch runs: item durations per workload, grouped into
 * chunks. Each run is a list of chunk end times; the estimators see
 * (time, completed) at chunk boundaries, as the live tracker does.
 */
export interface Trace {
  /** Cumulative time (ms) at the end of each chunk. */
  readonly times: Float64Array;
  /** Cumulative items at the end of each chunk. */
  readonly counts: Float64Array;
  /** Cumulative rate-limit wait (ms) at the end of each chunk. */
  readonly waits: Float64Array;
  readonly total: number;
}

export function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    // xorshift32: fast, seeded, good enough for workloads
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const gaussian = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

export interface Workload {
  readonly name: string;
  /** Duration of item i (ms) of n, plus any stall before the chunk starting at item i. */
  item(i: number, n: number, random: () => number): number;
  stall?(chunk: number, random: () => number): number;
}

const lognormal = (random: () => number, mean: number, sigma: number) => mean * Math.exp(sigma * gaussian(random) - (sigma * sigma) / 2);

export const WORKLOADS: readonly Workload[] = [
  { name: 'steady', item: (_i, _n, r) => lognormal(r, 10, 0.4) },
  { name: 'warm-up then steady', item: (i, n, r) => lognormal(r, i < n * 0.1 ? 30 : 10, 0.4) },
  { name: 'gradual slowdown', item: (i, n, r) => lognormal(r, 10 * (1 + (2 * i) / n), 0.4) },
  {
    name: 'rate-limit stalls (429)',
    item: (_i, _n, r) => lognormal(r, 10, 0.4),
    // Every ~15 chunks the API answers 429 with Retry-After 1-3 s.
    stall: (chunk, r) => (chunk > 0 && chunk % 15 === 0 ? 1000 + Math.floor(r() * 3) * 1000 : 0),
  },
  {
    name: 'bursty, heavy-tailed',
    // Pareto(alpha 2.2) item times: mostly quick, sometimes very slow.
    item: (_i, _n, r) => 10 * ((2.2 - 1) / 2.2) * Math.pow(1 - r(), -1 / 2.2),
  },
  { name: 'mid-run throughput drop', item: (i, n, r) => lognormal(r, i < n / 2 ? 10 : 25, 0.4) },
  {
    // Not used while tuning any estimator: items are files whose time is a fixed overhead plus
    // time proportional to their size, sizes drawn from a lognormal fitted to file-size surveys
    // (median ~24 KB, σ 2.0 in ln bytes: most files small, a few hundred times the median).
    name: 'file sizes (untuned)',
    item: (_i, _n, r) => 2 + lognormal(r, 24 * Math.exp(2), 2.0) * 0.05,
  },
];

/** The workload no estimator was tuned on. */
export const UNTUNED = 'file sizes (untuned)';
/** The workload whose change is only visible once it happens, and the share of items at which it does. */
export const DROP = { name: 'mid-run throughput drop', at: 0.5 };

export function simulate(workload: Workload, seed: number, items = 2000, chunkSize = 20): Trace {
  const random = rng(seed);
  const chunks = Math.ceil(items / chunkSize);
  const times = new Float64Array(chunks);
  const counts = new Float64Array(chunks);
  const waits = new Float64Array(chunks);
  let t = 0;
  let waited = 0;
  let done = 0;
  for (let c = 0; c < chunks; c++) {
    const stall = workload.stall?.(c, random) ?? 0;
    t += stall;
    waited += stall;
    const size = Math.min(chunkSize, items - done);
    for (let k = 0; k < size; k++) t += workload.item(done + k, items, random);
    done += size;
    times[c] = t;
    counts[c] = done;
    waits[c] = waited;
  }
  return { times, counts, waits, total: items };
}
