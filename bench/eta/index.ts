/**
 * ETA accuracy and interval coverage, ours against tqdm's EMA and cli-progress's
 * linear ETA, on seeded workloads, side by side. Run: `npm run bench:eta`.
 * At 10/25/50/75/90% progress each estimator's absolute percentage error of
 * the remaining time is scored, and whether our 80% interval covered the truth.
 */
import { createEstimator, type EtaMethod } from '../../src/core/eta/index.js';
import { CliProgressLinear, TqdmEma } from './baselines.js';
import { simulate, WORKLOADS } from './workloads.js';

const SEEDS = Number(process.env['ETA_SEEDS'] ?? 200);
const CHECKPOINTS = [0.1, 0.25, 0.5, 0.75, 0.9];
const OURS: EtaMethod[] = ['linear', 'exponential', 'adaptive'];
const COLUMNS = ['adaptive', 'exponential', 'linear', 'tqdm ema 0.3', 'cli-progress'] as const;
type Column = (typeof COLUMNS)[number];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
};

interface Result {
  errors: Record<Column, number[]>;
  covered: Record<EtaMethod, number>;
  cases: number;
}

function score(): Map<string, Result> {
  const results = new Map<string, Result>();
  for (const workload of WORKLOADS) {
    const result: Result = {
      errors: Object.fromEntries(COLUMNS.map((c) => [c, []])) as unknown as Record<Column, number[]>,
      covered: { linear: 0, exponential: 0, adaptive: 0 },
      cases: 0,
    };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const trace = simulate(workload, seed);
      const end = trace.times[trace.times.length - 1]!;
      const ours = OURS.map((m) => createEstimator(m));
      const tqdm = new TqdmEma(0.3);
      const cli = new CliProgressLinear(10);
      for (const e of ours) e.observe(0, 0);
      tqdm.observe(0, 0);
      cli.observe(0, 0);
      let next = 0;
      for (let c = 0; c < trace.times.length && next < CHECKPOINTS.length; c++) {
        const t = trace.times[c]!;
        const n = trace.counts[c]!;
        for (const e of ours) {
          e.observeRateLimitWait?.(t, trace.waits[c]!);
          e.observe(t, n);
        }
        tqdm.observe(t, n);
        cli.observe(t, n);
        if (n < CHECKPOINTS[next]! * trace.total) continue;
        next++;
        const truth = end - t;
        if (truth <= 0) continue;
        result.cases++;
        const record = (column: Column, estimate: number | undefined) => {
          result.errors[column].push(estimate === undefined ? 1 : Math.abs(estimate - truth) / truth);
        };
        ours.forEach((e, i) => {
          const eta = e.estimate(t, trace.total);
          record(OURS[i]!, eta?.estimatedTimeRemainingMs);
          if (eta && truth >= eta.interval.lowMs && truth <= eta.interval.highMs) result.covered[OURS[i]!]++;
        });
        record('tqdm ema 0.3', tqdm.remaining(trace.total));
        record('cli-progress', cli.remaining(trace.total));
      }
    }
    results.set(workload.name, result);
  }
  return results;
}

const started = performance.now();
const results = score();
const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(8);
console.log(`ETA benchmark: ${WORKLOADS.length} workloads x ${SEEDS} seeds x ${CHECKPOINTS.length} checkpoints (10/25/50/75/90% progress)`);
console.log('median absolute percentage error of the remaining time (lower is better); coverage of our 80% interval');
console.log(`${'workload'.padEnd(26)}${COLUMNS.map((c) => c.padStart(14)).join('')}   cover(adaptive)`);
let adaptiveBestEverywhere = true;
let coveredAll = 0;
let casesAll = 0;
const perWorkloadCoverage: number[] = [];
for (const [name, r] of results) {
  const medians = COLUMNS.map((c) => median(r.errors[c]));
  const best = Math.min(...medians);
  if (medians[0]! > best + 1e-12) adaptiveBestEverywhere = false;
  const coverage = r.covered.adaptive / r.cases;
  perWorkloadCoverage.push(coverage);
  coveredAll += r.covered.adaptive;
  casesAll += r.cases;
  console.log(`${name.padEnd(26)}${medians.map((m) => pct(m).padStart(14)).join('')}   ${pct(coverage)}`);
}
const overall = coveredAll / casesAll;
console.log(`overall coverage of the adaptive 80% interval: ${pct(overall).trim()} of ${casesAll} cases`);
console.log('targets');
console.log(`  ${adaptiveBestEverywhere ? 'PASS' : 'FAIL'}  adaptive has the lowest median error on every workload`);
console.log(`  ${overall >= 0.75 && overall <= 0.85 ? 'PASS' : 'FAIL'}  80% interval covers 75-85% of cases overall (${pct(overall).trim()})`);
const inBand = perWorkloadCoverage.filter((c) => c >= 0.75 && c <= 0.85).length;
console.log(`  ${inBand === perWorkloadCoverage.length ? 'PASS' : 'INFO'}  per workload within 75-85%: ${inBand} of ${perWorkloadCoverage.length}`);
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.exitCode = adaptiveBestEverywhere && overall >= 0.75 && overall <= 0.85 ? 0 : 1;
