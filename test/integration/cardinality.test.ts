/**
 * A careless attribute cannot blow up memory or the backend: through
 * startTelemetry with `cardinalityLimit`, 100,000 unique attribute values on a
 * counter and a histogram stay within the limit per instrument, the rest folds
 * into one `otel.metric.overflow=true` series whose values close the totals
 * exactly, and the heap does not grow with the values. A real producer
 * process (run with --expose-gc, so heap figures are live objects) and a real
 * OTLP/HTTP endpoint on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpSink } from '../support/otlpSink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LIMIT = 100;
const PER_PASS = 100_000;
/** Pass 2's live-heap growth. Measured: about 0.1 MB with the limit, about 100 MB without one. */
const MAX_HEAP_GROWTH_BYTES = 16 * 1024 * 1024;
const COUNTER = 'cardinality.check.requests';
const HISTOGRAM = 'cardinality.check.duration';
/** Sum of `i % 10` over one pass: the histogram's exact total. */
const HISTOGRAM_SUM_PER_PASS = (PER_PASS / 10) * 45;

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number };
interface DataPoint {
  attributes?: Array<{ key: string; value: AnyValue }>;
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
}
interface Metric {
  name: string;
  sum?: { dataPoints: DataPoint[]; aggregationTemporality?: number };
  histogram?: { dataPoints: DataPoint[]; aggregationTemporality?: number };
}

interface Series {
  readonly points: DataPoint[];
  readonly overflow: DataPoint[];
  /** Counter: the sum of every point; histogram: the count of every point. */
  readonly total: number;
  /** Histogram only: the sum of every point. */
  readonly valueSum: number;
  readonly overflowTotal: number;
}

const num = (v: number | string | undefined): number => Number(v ?? 0);
const isOverflow = (p: DataPoint) => p.attributes?.some((a) => a.key === 'otel.metric.overflow' && a.value.boolValue === true) ?? false;

function series(metric: Metric): Series {
  const counter = metric.sum !== undefined;
  const points = (metric.sum ?? metric.histogram)!.dataPoints;
  const total = (p: DataPoint) => (counter ? num(p.asInt) + num(p.asDouble) : num(p.count));
  const overflow = points.filter(isOverflow);
  return {
    points,
    overflow,
    total: points.reduce((sum, p) => sum + total(p), 0),
    valueSum: counter ? 0 : points.reduce((sum, p) => sum + num(p.sum), 0),
    overflowTotal: overflow.reduce((sum, p) => sum + total(p), 0),
  };
}

/** Each metrics export request, as `name → metric`, in arrival order. */
function exports(sink: OtlpSink): Array<Map<string, Metric>> {
  return sink.of('metrics').map((request) => {
    const byName = new Map<string, Metric>();
    const body = request.json as { resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Metric[] }> }> };
    for (const rm of body.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) byName.set(m.name, m);
    return byName;
  });
}

let sink: OtlpSink;
let child: ChildProcess | undefined;
let spoolDir: string;
let run: { output: string; heap: { before: number; after: number; growth: number; gcExposed: boolean } };

beforeAll(async () => {
  sink = new OtlpSink();
  const endpoint = await sink.start();
  spoolDir = mkdtempSync(join(tmpdir(), 'batchtel-cardinality-'));
  child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/fixtures/cardinality/cardinality-app.ts'], {
    cwd: ROOT,
    env: { ...withoutOtelEnv(), ENDPOINT: endpoint, PER_PASS: String(PER_PASS), CARDINALITY_LIMIT: String(LIMIT), SPOOL_DIR: spoolDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`the producer did not finish within 60 s; its output:\n${output.slice(-3000)}`)), 60_000);
    child!.on('error', reject);
    child!.on('close', (exitCode) => {
      clearTimeout(deadline);
      resolve(exitCode);
    });
  });
  if (code !== 0 || !output.includes('done')) throw new Error(`the producer failed (exit ${code}); its output:\n${output.slice(-3000)}`);
  const heapLine = output.split('\n').find((line) => line.startsWith('heap '));
  if (!heapLine) throw new Error(`the producer printed no heap figures; its output:\n${output.slice(-3000)}`);
  run = { output, heap: JSON.parse(heapLine.slice('heap '.length)) };
}, 90_000);

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await sink?.stop();
  if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
});

function withoutOtelEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
}

describe(`cardinality limit ${LIMIT} against ${PER_PASS.toLocaleString('en')} unique attribute values`, () => {
  it('after the first forced flush: at most the limit of series per instrument, one of them the overflow series, totals exact', () => {
    const first = exports(sink).find((request) => request.has(COUNTER) && request.has(HISTOGRAM));
    expect(first, `no export carried both instruments; metrics requests: ${sink.of('metrics').length}`).toBeDefined();

    const counter = series(first!.get(COUNTER)!);
    expect(counter.points.length).toBeLessThanOrEqual(LIMIT);
    // The limit is reached, not merely respected: every slot is used before values fold.
    expect(counter.points.length).toBeGreaterThanOrEqual(LIMIT - 1);
    expect(counter.overflow).toHaveLength(1);
    expect(counter.overflow[0]!.attributes).toEqual([{ key: 'otel.metric.overflow', value: { boolValue: true } }]);
    expect(counter.total).toBe(PER_PASS);
    // Each named series saw one add; the overflow series holds everything else.
    expect(counter.overflowTotal).toBe(PER_PASS - (counter.points.length - 1));

    const histogram = series(first!.get(HISTOGRAM)!);
    expect(histogram.points.length).toBeLessThanOrEqual(LIMIT);
    expect(histogram.points.length).toBeGreaterThanOrEqual(LIMIT - 1);
    expect(histogram.overflow).toHaveLength(1);
    expect(histogram.total).toBe(PER_PASS);
    expect(histogram.overflowTotal).toBe(PER_PASS - (histogram.points.length - 1));
    expect(histogram.valueSum).toBe(HISTOGRAM_SUM_PER_PASS);
  });

  it('after a second pass of 100,000 new values: the totals still close exactly (nothing lost to the overflow)', () => {
    const last = exports(sink)
      .filter((request) => request.has(COUNTER))
      .at(-1)!;
    expect(series(last.get(COUNTER)!).total).toBe(2 * PER_PASS);
    expect(series(last.get(HISTOGRAM)!).total).toBe(2 * PER_PASS);
    expect(series(last.get(HISTOGRAM)!).valueSum).toBe(2 * HISTOGRAM_SUM_PER_PASS);
    expect(series(last.get(COUNTER)!).overflow).toHaveLength(1);
  });

  it(`the live heap grows by less than ${MAX_HEAP_GROWTH_BYTES / 1024 / 1024} MB over the second pass of 100,000 new values`, () => {
    expect(run.heap.gcExposed, 'the producer runs with --expose-gc, so the figures are live objects').toBe(true);
    console.log(`cardinality: live heap ${(run.heap.before / 1e6).toFixed(1)} MB → ${(run.heap.after / 1e6).toFixed(1)} MB over ${PER_PASS} new values`);
    expect(run.heap.growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
  });

  // @opentelemetry/sdk-metrics 2.x, under cumulative temporality, merges each
  // collection into its history without the limit (100, 199, 298, ... series
  // and memory to match). batchtel collects synchronous sums and histograms as
  // delta and keeps the cumulative sums itself, capped (BoundedCumulativeExporter):
  // later exports stay at the limit, and the totals above stay exact.
  it('after the second export, still at most the limit of series per instrument, totals cumulative', () => {
    const last = exports(sink)
      .filter((request) => request.has(COUNTER))
      .at(-1)!;
    expect(series(last.get(COUNTER)!).points.length).toBeLessThanOrEqual(LIMIT);
    expect(series(last.get(HISTOGRAM)!).points.length).toBeLessThanOrEqual(LIMIT);
  });
});
