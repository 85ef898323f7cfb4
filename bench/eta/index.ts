/**
 * ETA accuracy and interval coverage, ours against tqdm's EMA and cli-progress's
 * linear ETA, on seeded workloads, side by side. Run: `npm run bench:eta`.
 * At 10/25/50/75/90% progress each estimator's absolute percentage error of
 * the remaining time is scored, and whether our 80% interval covered the truth.
 *
 * Targets: on every workload the adaptive estimator's median error is the lowest
 * or within 0.5 points of the lowest; on the mid-run drop (indistinguishable from
 * steady until it happens, so no causal estimator can win before it) it is the
 * lowest at the checkpoints after the drop; its 80% interval covers 75-85% of
 * cases overall. Then the live path: the same runs through a Run (observation
 * throttle included) lasting 2 seconds and 2 hours must score alike.
 */
import { ManualClock } from '../../src/core/clock.js';
import { createEstimator, type EtaMethod } from '../../src/core/eta/index.js';
import { Problems } from '../../src/core/problems.js';
import { Run } from '../../src/core/Run.js';
import { CliProgressLinear, TqdmEma } from './baselines.js';
import { DROP, simulate, UNTUNED, WORKLOADS, type Trace } from './workloads.js';

const SEEDS = Number(process.env['ETA_SEEDS'] ?? 200);
const CHECKPOINTS = [0.1, 0.25, 0.5, 0.75, 0.9];
const OURS: EtaMethod[] = ['linear', 'exponential', 'adaptive'];
const COLUMNS = ['adaptive', 'exponential', 'linear', 'tqdm ema 0.3', 'cli-progress'] as const;
type Column = (typeof COLUMNS)[number];
/** Points of median error within which adaptive counts as level with the best. */
const TOLERANCE = 0.005;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
};

interface Result {
  /** Errors per column, all checkpoints. */
  errors: Record<Column, number[]>;
  /** Errors per column per checkpoint index. */
  byCheckpoint: Record<Column, number[][]>;
  covered: number;
  cases: number;
}

const emptyColumns = <T>(make: () => T) => Object.fromEntries(COLUMNS.map((c) => [c, make()])) as unknown as Record<Column, T>;

function score(): Map<string, Result> {
  const results = new Map<string, Result>();
  for (const workload of WORKLOADS) {
    const result: Result = {
      errors: emptyColumns(() => []),
      byCheckpoint: emptyColumns(() => CHECKPOINTS.map(() => [])),
      covered: 0,
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
        const checkpoint = next++;
        const truth = end - t;
        if (truth <= 0) continue;
        result.cases++;
        const record = (column: Column, estimate: number | undefined) => {
          const error = estimate === undefined ? 1 : Math.abs(estimate - truth) / truth;
          result.errors[column].push(error);
          result.byCheckpoint[column][checkpoint]!.push(error);
        };
        ours.forEach((e, i) => {
          const eta = e.estimate(t, trace.total);
          record(OURS[i]!, eta?.estimatedTimeRemainingMs);
          if (OURS[i] === 'adaptive' && eta && truth >= eta.interval.lowMs && truth <= eta.interval.highMs) result.covered++;
        });
        record('tqdm ema 0.3', tqdm.remaining(trace.total));
        record('cli-progress', cli.remaining(trace.total));
      }
    }
    results.set(workload.name, result);
  }
  return results;
}

/**
 * The live path: a trace replayed through a Run on a manual clock, chunk by chunk as
 * process() reports them, its durations scaled so the run lasts `totalMs`. The Run
 * throttles its observations; the ETA is asked at the checkpoints as a snapshot would.
 */
function throughRun(trace: Trace, totalMs: number): { errors: number[]; covered: number } {
  const scale = totalMs / trace.times[trace.times.length - 1]!;
  const clock = new ManualClock(0);
  const run = new Run({
    descriptor: { id: 'bench', name: 'bench', operation: 'bench', category: undefined, service: undefined, total: trace.total, metadata: {} },
    clock,
    problems: new Problems(() => {}),
  });
  run.start();
  const errors: number[] = [];
  let covered = 0;
  let next = 0;
  let previousTime = 0;
  let previousCount = 0;
  for (let c = 0; c < trace.times.length && next < CHECKPOINTS.length; c++) {
    const t = trace.times[c]! * scale;
    const size = trace.counts[c]! - previousCount;
    const waited = (trace.waits[c]! - (c > 0 ? trace.waits[c - 1]! : 0)) * scale;
    if (waited > 0) run.recordRateLimit(waited);
    clock.set(t);
    run.recordChunk(c, size, 0, t - previousTime - waited);
    previousTime = t;
    previousCount = trace.counts[c]!;
    if (previousCount < CHECKPOINTS[next]! * trace.total) continue;
    next++;
    const truth = totalMs - t;
    if (truth <= 0) continue;
    const eta = run.eta(t);
    errors.push(eta ? Math.abs(eta.estimatedTimeRemainingMs - truth) / truth : 1);
    if (eta && truth >= eta.interval.lowMs && truth <= eta.interval.highMs) covered++;
  }
  return { errors, covered };
}

const started = performance.now();
const results = score();
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
console.log(`ETA benchmark: ${WORKLOADS.length} workloads x ${SEEDS} seeds x ${CHECKPOINTS.length} checkpoints (10/25/50/75/90% progress)`);
console.log('median absolute percentage error of the remaining time (lower is better); coverage of our 80% interval');
console.log(`${'workload'.padEnd(28)}${COLUMNS.map((c) => c.padStart(14)).join('')}   cover(adaptive)`);
let levelEverywhere = true;
let coveredAll = 0;
let casesAll = 0;
const perWorkloadCoverage: number[] = [];
for (const [name, r] of results) {
  const medians = COLUMNS.map((c) => median(r.errors[c]));
  const best = Math.min(...medians);
  const level = medians[0]! <= best + TOLERANCE;
  if (!level) levelEverywhere = false;
  const coverage = r.covered / r.cases;
  perWorkloadCoverage.push(coverage);
  coveredAll += r.covered;
  casesAll += r.cases;
  const label = `${name}${level ? '' : ' *'}`;
  console.log(`${label.padEnd(28)}${medians.map((m) => pct(m).padStart(14)).join('')}   ${pct(coverage).padStart(8)}`);
}
console.log('(* adaptive more than 0.5 points behind the best)');

const drop = results.get(DROP.name)!;
const after = CHECKPOINTS.map((p, i) => [p, i] as const).filter(([p]) => p > DROP.at);
console.log(`\n${DROP.name}, checkpoints after the drop at ${DROP.at * 100}% of items:`);
console.log(`${'checkpoint'.padEnd(28)}${COLUMNS.map((c) => c.padStart(14)).join('')}`);
let lowestAfterDrop = true;
for (const [p, i] of after) {
  const medians = COLUMNS.map((c) => median(drop.byCheckpoint[c][i]!));
  if (medians[0]! > Math.min(...medians) + 1e-12) lowestAfterDrop = false;
  console.log(`${`${p * 100}%`.padEnd(28)}${medians.map((m) => pct(m).padStart(14)).join('')}`);
}

const RUN_SEEDS = Math.min(SEEDS, 50);
const timescales = [
  { label: '2 s run', ms: 2000 },
  { label: '2 h run', ms: 2 * 3600_000 },
];
console.log(`\nthe live path (a Run, its observation throttle included), adaptive, ${RUN_SEEDS} seeds of each workload:`);
console.log(`${'workload'.padEnd(28)}${timescales.map((s) => `${s.label} err`.padStart(14) + `${s.label} cover`.padStart(16)).join('')}`);
let timescaleAlike = true;
for (const workload of WORKLOADS) {
  const row: string[] = [];
  const medians: number[] = [];
  for (const scale of timescales) {
    const errors: number[] = [];
    let covered = 0;
    for (let seed = 1; seed <= RUN_SEEDS; seed++) {
      const r = throughRun(simulate(workload, seed), scale.ms);
      errors.push(...r.errors);
      covered += r.covered;
    }
    medians.push(median(errors));
    row.push(pct(median(errors)).padStart(14) + pct(covered / errors.length).padStart(16));
  }
  if (Math.abs(medians[0]! - medians[1]!) > TOLERANCE) timescaleAlike = false;
  console.log(`${workload.name.padEnd(28)}${row.join('')}`);
}

const overall = coveredAll / casesAll;
const coverageOk = overall >= 0.75 && overall <= 0.85;
console.log(`\noverall coverage of the adaptive 80% interval: ${pct(overall)} of ${casesAll} cases`);
console.log('targets');
console.log(`  ${levelEverywhere ? 'PASS' : 'FAIL'}  adaptive's median error is the lowest or within 0.5 points of it on every workload (${UNTUNED} included)`);
console.log(`  ${lowestAfterDrop ? 'PASS' : 'FAIL'}  on the mid-run drop, adaptive is the lowest at the checkpoints after the drop`);
console.log(`  ${coverageOk ? 'PASS' : 'FAIL'}  80% interval covers 75-85% of cases overall (${pct(overall)})`);
console.log(`  ${timescaleAlike ? 'PASS' : 'FAIL'}  a 2 s run and a 2 h run through a Run score within 0.5 points of each other on every workload`);
const inBand = perWorkloadCoverage.filter((c) => c >= 0.75 && c <= 0.85).length;
console.log(`  INFO  per workload within 75-85%: ${inBand} of ${perWorkloadCoverage.length}`);
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.exitCode = levelEverywhere && lowestAfterDrop && coverageOk && timescaleAlike ? 0 : 1;
