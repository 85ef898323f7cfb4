/**
 * Per-item and per-chunk cost of batchtel against the alternatives, measured
 * side by side in one run on the same machine. Run: `npm run bench:per-item`.
 *
 * Each figure is the median of several timed repetitions (ns per iteration).
 * Targets: our per-item cost ≤ 10 ns median, < 1/6 of tqdm's,
 * < 1/100 of Counter.add with attributes; per chunk ≤ 1.25× the SDK floor
 * (one span start/end and one Histogram.record with the same attributes,
 * measured in the same process); 10 M items grow the heap by < 2 MB; totals exact.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { context, metrics, SpanKind, trace, type Attributes } from '@opentelemetry/api';
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
const counterAdd = measure(
  (n) => {
    for (let i = 0; i < n; i++) counter.add(1, attrs);
  },
  200_000,
  7,
);
const counterAddBare = measure(
  (n) => {
    for (let i = 0; i < n; i++) counter.add(1);
  },
  500_000,
  7,
);

const devnull = {
  write: () => true,
  isTTY: true,
  columns: 120,
  cursorTo: () => true,
  clearLine: () => true,
  moveCursor: () => true,
} as unknown as NodeJS.WritableStream;
const bar = new cliProgress.SingleBar({ stream: devnull, fps: 10, noTTYOutput: true }, cliProgress.Presets.legacy);
bar.start(Number.MAX_SAFE_INTEGER, 0);
const cliIncrement = measure(
  (n) => {
    for (let i = 0; i < n; i++) bar.increment();
  },
  500_000,
  7,
);
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
const perItemOutcome = measure(
  (n) => {
    for (let i = 0; i < n; i++) ours.tick((i & 15) === 0 ? 'failure' : 'success');
  },
  N,
  7,
);

async function exactTotals(): Promise<{ ok: boolean; observed: number; counted: number }> {
  const run = trackBatch({ name: 'exact', operation: 'exact', display: 'none', registry, total: 10_000_000 }).start();
  let counted = 0;
  for (let i = 0; i < 3_000_000; i++) {
    run.tick(i % 10 === 0 ? 'failure' : 'success');
    counted++;
  }
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === METRIC_BATCH_ITEMS_PROCESSED)!;
  const observed = metric.dataPoints.filter((p) => p.attributes['batch.operation'] === 'exact').reduce((sum, p) => sum + (p.value as number), 0);
  const failures = metric.dataPoints.find((p) => p.attributes['batch.operation'] === 'exact' && p.attributes[ATTR_BATCH_ITEM_OUTCOME] === 'failure')?.value;
  run.finish();
  return { ok: observed === counted && failures === 300_000, observed, counted };
}

/**
 * Per chunk, side by side with the SDK floor: what the SDK itself must do for
 * a chunk, one span start/end (same name, same attributes, under a parent) and
 * one `Histogram.record` with the same attributes. Each repetition times the
 * floor and every variant back to back, and the ratio is the median of the
 * per-repetition ratios, so a load spike hits both sides of one ratio alike.
 * The span and log queues are flushed (untimed) between timed sections, so
 * every section exports what it makes rather than dropping at a full queue.
 */
interface ChunkCosts {
  floorMicros: number;
  variants: Array<{ label: string; micros: number; ratio: number }>;
}
async function perChunk(): Promise<ChunkCosts> {
  const chunks = 5_000;
  const tracer = trace.getTracer('bench-floor');
  const histogram = meter.createHistogram('bench.chunk.duration', { unit: 's' });
  const floorAttrs: Attributes = { 'batch.operation': 'chunks' };
  const parentSpan = tracer.startSpan('floor parent');
  const parent = trace.setSpan(context.active(), parentSpan);
  const floor = () => {
    for (let i = 0; i < chunks; i++) {
      const start = performance.now();
      const span = tracer.startSpan(
        'batch.chunk chunks',
        { kind: SpanKind.INTERNAL, attributes: { 'batch.run.id': 'floor', 'batch.chunk.index': i, 'batch.chunk.size': 50 } },
        parent,
      );
      span.end();
      histogram.record((performance.now() - start) / 1000, floorAttrs);
    }
  };
  const ours = (telemetry: { chunkEvents?: boolean }) => {
    const run = trackBatch({ name: 'chunks', operation: 'chunks', display: 'none', registry, total: Number.MAX_SAFE_INTEGER, telemetry }).start();
    const core = (run as unknown as { run: import('../src/core/Run.js').Run }).run;
    return {
      loop: () => {
        for (let i = 0; i < chunks; i++) core.endChunk(core.beginChunk(50));
      },
      finish: () => run.finish(),
    };
  };
  const variants = [
    { label: 'default options', ...ours({}) },
    { label: 'chunkEvents: true', ...ours({ chunkEvents: true }) },
  ];
  const time = (fn: () => void): number => {
    const start = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - start) / chunks / 1000;
  };
  const drain = () => Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
  floor();
  for (const v of variants) v.loop();
  await drain();
  const floorSamples: number[] = [];
  const samples = variants.map(() => [] as number[]);
  const ratios = variants.map(() => [] as number[]);
  for (let r = 0; r < 41; r++) {
    const f = time(floor);
    floorSamples.push(f);
    await drain();
    for (let i = 0; i < variants.length; i++) {
      const micros = time(variants[i]!.loop);
      samples[i]!.push(micros);
      ratios[i]!.push(micros / f);
      await drain();
    }
  }
  for (const v of variants) v.finish();
  parentSpan.end();
  return {
    floorMicros: median(floorSamples),
    variants: variants.map((v, i) => ({ label: v.label, micros: median(samples[i]!), ratio: median(ratios[i]!) })),
  };
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
const chunk = await perChunk();
const chunkDefault = chunk.variants[0]!;
const heapMb = heapGrowth();

const fmt = (ns: number) => `${ns.toFixed(2).padStart(9)} ns`;
console.log(`per-item benchmark, node ${process.version}, median of repeated runs (ns per iteration)`);
console.log(`  bare counter loop                      ${fmt(bare)}`);
console.log(`  OTel Counter.add, no attributes        ${fmt(counterAddBare)}`);
console.log(`  OTel Counter.add, 3 attributes         ${fmt(counterAdd)}`);
console.log(`  cli-progress increment()               ${fmt(cliIncrement)}`);
console.log(
  `  tqdm per-iteration overhead (python)   ${tqdm === undefined ? '   (python3 with tqdm not found: bash scripts/install-system-deps.sh installs it)' : fmt(tqdm)}`,
);
console.log(`  batchtel run.tick(), real SDK          ${fmt(perItem)}`);
console.log(`  batchtel run.tick(outcome), real SDK   ${fmt(perItemOutcome)}`);
const us = (micros: number) => `${micros.toFixed(2).padStart(9)} µs`;
console.log(`  SDK floor per chunk (span + histogram)  ${us(chunk.floorMicros)}`);
for (const v of chunk.variants) console.log(`  batchtel per chunk, ${v.label.padEnd(19)}${us(v.micros)}  ${v.ratio.toFixed(2)}x floor`);
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
  ['per chunk <= 1.25x the SDK floor (default options)', chunkDefault.ratio <= 1.25],
  ['heap growth over 10M items < 2 MB', heapMb < 2],
  ['totals exact', totals.ok],
];
console.log('targets');
for (const [name, ok] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}`);
if (sink < 0) console.log(sink); // keeps the bare loop from being optimised away
await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown(), loggerProvider.shutdown()]);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
