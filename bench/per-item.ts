/**
 * Per-item and per-chunk cost of batchtel against the alternatives, measured
 * side by side in one run on the same machine. Run: `npm run bench:per-item`.
 *
 * Each figure is the median of several timed repetitions (ns per iteration).
 * Targets (issue 2): our per-item cost ≤ 10 ns median, < 1/6 of tqdm's,
 * < 1/100 of Counter.add with attributes; per chunk ≤ 5 µs; 10 M items grow
 * the heap by < 2 MB; totals exact.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { metrics, trace, type Attributes } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import cliProgress from 'cli-progress';
import { RunRegistry, trackBatch } from '../src/index.js';
import { METRIC_BATCH_ITEMS_PROCESSED, ATTR_BATCH_ITEM_OUTCOME } from '../src/semconv.js';

const REPS = 15;
const N = 2_000_000;

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
const discardSpans: SpanExporter = { export: (_s, done) => done({ code: 0 }), shutdown: async () => {} };
const discardLogs: LogRecordExporter = { export: (_l, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };

// The real SDK, installed globally as an application would.
const reader = new Reader();
const meterProvider = new MeterProvider({ readers: [reader] });
const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: discardSpans, maxQueueSize: 100_000 })] });
const loggerProvider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: discardLogs, maxQueueSize: 100_000 })] });
metrics.setGlobalMeterProvider(meterProvider);
trace.setGlobalTracerProvider(tracerProvider);
logs.setGlobalLoggerProvider(loggerProvider);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** ns per iteration, median of REPS timed runs of `fn(n)`. */
function measure(fn: (n: number) => void, n = N, reps = REPS): number {
  fn(Math.min(n, 100_000)); // warm-up: let the JIT settle
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = process.hrtime.bigint();
    fn(n);
    samples.push(Number(process.hrtime.bigint() - start) / n);
  }
  return median(samples);
}

let sink = 0;
const bare = measure((n) => {
  let count = 0;
  for (let i = 0; i < n; i++) count++;
  sink += count;
});

const meter = meterProvider.getMeter('bench');
const counter = meter.createCounter('bench.items', { unit: '{item}' });
const attrs: Attributes = { 'batch.operation': 'bench', 'batch.category': 'cat', 'batch.item.outcome': 'success' };
const counterAdd = measure((n) => {
  for (let i = 0; i < n; i++) counter.add(1, attrs);
}, 200_000, 7);
const counterAddBare = measure((n) => {
  for (let i = 0; i < n; i++) counter.add(1);
}, 500_000, 7);

const devnull = { write: () => true, isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true } as unknown as NodeJS.WritableStream;
const bar = new cliProgress.SingleBar({ stream: devnull, fps: 10, noTTYOutput: true }, cliProgress.Presets.legacy);
bar.start(Number.MAX_SAFE_INTEGER, 0);
const cliIncrement = measure((n) => {
  for (let i = 0; i < n; i++) bar.increment();
}, 500_000, 7);
bar.stop();

/** tqdm's own per-iteration overhead, measured in Python as (tqdm loop − bare loop) / n. */
function tqdmOverhead(): number | undefined {
  const candidates = ['/usr/bin/python3', 'python3'].filter((p) => p === 'python3' || existsSync(p));
  const script = `
import time, os, statistics
from tqdm import tqdm
N = 1_000_000
def bare():
    t = time.perf_counter()
    for _ in range(N): pass
    return time.perf_counter() - t
def with_tqdm():
    with open(os.devnull, 'w') as f:
        t = time.perf_counter()
        for _ in tqdm(range(N), file=f): pass
        return time.perf_counter() - t
b = statistics.median(bare() for _ in range(5))
q = statistics.median(with_tqdm() for _ in range(5))
print((q - b) / N * 1e9)
`;
  for (const python of candidates) {
    try {
      return Number(execFileSync(python, ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}
const tqdm = tqdmOverhead();

// Ours: the per-item path with the real SDK installed, counted by outcome.
const registry = new RunRegistry({ maxFinished: 1 });
const ours = trackBatch({ name: 'bench', operation: 'bench', category: 'cat', display: 'none', registry, total: Number.MAX_SAFE_INTEGER }).start();
const perItem = measure((n) => {
  for (let i = 0; i < n; i++) ours.tick();

});
const perItemOutcome = measure((n) => {
  for (let i = 0; i < n; i++) ours.tick((i & 15) === 0 ? 'failure' : 'success');
}, N, 7);

async function exactTotals(): Promise<{ ok: boolean; observed: number; counted: number }> {
  const run = trackBatch({ name: 'exact', operation: 'exact', display: 'none', registry, total: 10_000_000 }).start();
  let counted = 0;
  for (let i = 0; i < 3_000_000; i++) {
    run.tick(i % 10 === 0 ? 'failure' : 'success');
    counted++;
  }
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === METRIC_BATCH_ITEMS_PROCESSED)!;
  const observed = metric.dataPoints
    .filter((p) => p.attributes['batch.operation'] === 'exact')
    .reduce((sum, p) => sum + (p.value as number), 0);
  const failures = metric.dataPoints.find((p) => p.attributes['batch.operation'] === 'exact' && p.attributes[ATTR_BATCH_ITEM_OUTCOME] === 'failure')?.value;
  run.finish();
  return { ok: observed === counted && failures === 300_000, observed, counted };
}

// Per chunk: span + histogram + log event, through the real SDK.
function perChunk(): number {
  const run = trackBatch({ name: 'chunks', operation: 'chunks', display: 'none', registry, total: Number.MAX_SAFE_INTEGER }).start();
  const core = (run as unknown as { run: import('../src/core/Run.js').Run }).run;
  const chunks = 20_000;
  const once = () => {
    for (let i = 0; i < chunks; i++) core.endChunk(core.beginChunk(50));
  };
  once();
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    once();
    samples.push(Number(process.hrtime.bigint() - start) / chunks / 1000);
  }
  run.finish();
  return median(samples);
}

function heapGrowth(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const run = trackBatch({ name: 'heap', operation: 'heap', display: 'none', registry, total: 10_000_000 }).start();
  const core = (run as unknown as { run: import('../src/core/Run.js').Run }).run;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 10_000_000; i++) {
    run.tick();
    // ETA and progress state is fed at chunk boundaries, as the loop helper does.
    if (i % 1000 === 999) core.observeProgress(core.clock.now(), true);
  }
  core.eta();
  gc();
  const after = process.memoryUsage().heapUsed;
  run.finish();
  return (after - before) / 1024 / 1024;
}

const totals = await exactTotals();
const chunkMicros = perChunk();
const heapMb = heapGrowth();

const fmt = (ns: number) => `${ns.toFixed(2).padStart(9)} ns`;
console.log(`per-item benchmark, node ${process.version}, median of repeated runs (ns per iteration)`);
console.log(`  bare counter loop                      ${fmt(bare)}`);
console.log(`  OTel Counter.add, no attributes        ${fmt(counterAddBare)}`);
console.log(`  OTel Counter.add, 3 attributes         ${fmt(counterAdd)}`);
console.log(`  cli-progress increment()               ${fmt(cliIncrement)}`);
console.log(`  tqdm per-iteration overhead (python)   ${tqdm === undefined ? '   (python3 with tqdm not found)' : fmt(tqdm)}`);
console.log(`  batchtel run.tick(), real SDK          ${fmt(perItem)}`);
console.log(`  batchtel run.tick(outcome), real SDK   ${fmt(perItemOutcome)}`);
console.log(`  batchtel per chunk (span+hist+event)   ${chunkMicros.toFixed(2).padStart(9)} µs`);
console.log(`  heap growth over 10,000,000 items      ${heapMb.toFixed(3).padStart(9)} MB`);
console.log(`  totals exact                           ${totals.ok ? 'yes' : 'NO'} (observed ${totals.observed}, counted ${totals.counted})`);
console.log('ratios');
console.log(`  Counter.add(3 attrs) / batchtel tick   ${(counterAdd / perItem).toFixed(1)}x`);
if (tqdm !== undefined) console.log(`  tqdm / batchtel tick                   ${(tqdm / perItem).toFixed(1)}x`);
console.log(`  cli-progress / batchtel tick           ${(cliIncrement / perItem).toFixed(1)}x`);
const checks: Array<[string, boolean]> = [
  ['per-item median <= 10 ns', perItem <= 10],
  ['per-item < 1/100 of Counter.add with attributes', perItem * 100 < counterAdd],
  ['per-item < 1/6 of tqdm', tqdm === undefined ? false : perItem * 6 < tqdm],
  ['per chunk <= 5 us', chunkMicros <= 5],
  ['heap growth over 10M items < 2 MB', heapMb < 2],
  ['totals exact', totals.ok],
];
console.log('targets');
for (const [name, ok] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}`);
if (sink < 0) console.log(sink); // keeps the bare loop from being optimised away
await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown(), loggerProvider.shutdown()]);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
