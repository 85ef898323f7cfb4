/**
 * Write reduction of the events API (analytics events on OpenTelemetry), measured end
 * to end. Run: `npm run bench:events`.
 *
 * 1,000,000 item events go through `createEvents` and the real SDK
 * (`startTelemetry`, http/json) to an in-process OTLP/HTTP sink; after
 * shutdown the sink's requests, log records and metric data points are
 * counted. The usual analytics target is 95% fewer database writes; the target here
 * (issue #4) is >= 99.9% fewer writes (export requests) than events, with
 * every error delivered and the counter total exact.
 *
 * The mix: `item.processed` with a duration (sampled 1 in 2,000), a
 * medium-rate `item.retried` (1 in 100) with an attempts value, and 100
 * `item.failed` errors (never sampled). The loop yields every 1,000 events,
 * as a batch loop waiting on I/O between chunks does, so the SDK's timers
 * (priority flush of errors, sync interval) run as they would in a service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createEvents } from '../src/index.js';
import { startTelemetry } from '../src/sdk/index.js';
import * as sc from '../src/semconv.js';
import { OtlpSink } from '../test/support/otlpSink.js';

const EVENTS = 1_000_000;
const CHUNK = 1000;
const TARGET = 0.999;
const RATES = { 'item.processed': 0.0005, 'item.retried': 0.01 } as const;

interface JsonPoint {
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
}
interface JsonMetric {
  name: string;
  sum?: { dataPoints: JsonPoint[]; aggregationTemporality?: number };
  gauge?: { dataPoints: JsonPoint[] };
  histogram?: { dataPoints: JsonPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints: JsonPoint[]; aggregationTemporality?: number };
}

const CUMULATIVE = 2;
const pointsOf = (m: JsonMetric) => m.sum?.dataPoints ?? m.gauge?.dataPoints ?? m.histogram?.dataPoints ?? m.exponentialHistogram?.dataPoints ?? [];
const attr = (p: JsonPoint, key: string) => p.attributes?.find((a) => a.key === key)?.value.stringValue;

/** Every metric in the sink's metric requests, in arrival order. */
function metricsIn(sink: OtlpSink): JsonMetric[] {
  return sink
    .of('metrics')
    .flatMap((r) =>
      ((r.json as { resourceMetrics?: Array<{ scopeMetrics: Array<{ metrics: JsonMetric[] }> }> }).resourceMetrics ?? []).flatMap((rm) =>
        rm.scopeMetrics.flatMap((sm) => sm.metrics),
      ),
    );
}

/** Total of a counter (or count of a histogram) over its series: the latest value of each series when cumulative, the sum when delta. */
function total(metrics: JsonMetric[], name: string, pick: (p: JsonPoint) => number, where: (p: JsonPoint) => boolean = () => true): number {
  const latest = new Map<string, number>();
  let delta = 0;
  for (const metric of metrics.filter((m) => m.name === name)) {
    const temporality = (metric.sum ?? metric.histogram ?? metric.exponentialHistogram)?.aggregationTemporality;
    for (const point of pointsOf(metric).filter(where)) {
      if (temporality === CUMULATIVE) latest.set(JSON.stringify(point.attributes ?? []), pick(point));
      else delta += pick(point);
    }
  }
  return [...latest.values()].reduce((a, b) => a + b, delta);
}

const sink = new OtlpSink();
const endpoint = await sink.start(0);
const spoolDir = mkdtempSync(join(tmpdir(), 'batchtel-bench-events-'));
const telemetry = startTelemetry({ serviceName: 'bench-events', endpoint, protocol: 'http/json', handleSignals: false, spoolDir });
const events = createEvents({ samplingRates: RATES });

const sent = { processed: 0, retried: 0, failed: 0 };
let callNs = 0n;
const wallStart = process.hrtime.bigint();
for (let start = 0; start < EVENTS; start += CHUNK) {
  const t0 = process.hrtime.bigint();
  for (let i = start; i < start + CHUNK; i++) {
    if (i % 10_000 === 5_000) {
      events.event('item.failed', { [sc.ATTR_ERROR_TYPE]: i % 20_000 === 5_000 ? '503' : 'TimeoutError' });
      sent.failed++;
    } else if (i % 100 === 50) {
      events.event('item.retried', undefined, { values: { attempts: 1 + (i % 3) } });
      sent.retried++;
    } else {
      events.event('item.processed', undefined, { values: { durationMs: 5 + (i % 200) } });
      sent.processed++;
    }
  }
  callNs += process.hrtime.bigint() - t0;
  await yieldToLoop();
}
const loopMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
await telemetry.shutdown();
await sink.stop();
rmSync(spoolDir, { recursive: true, force: true });

const metrics = metricsIn(sink);
const logRecords = sink.logRecords();
const dataPoints = metrics.reduce((n, m) => n + pointsOf(m).length, 0);
const ourPoints = metrics.filter((m) => m.name.startsWith('batch.event')).reduce((n, m) => n + pointsOf(m).length, 0);
const requests = sink.requests;
const counterTotal = total(metrics, sc.METRIC_BATCH_EVENTS, (p) => Number(p.asInt ?? p.asDouble ?? 0));
const durationCount = total(
  metrics,
  sc.METRIC_BATCH_EVENT_DURATION,
  (p) => Number(p.count ?? 0),
  (p) => attr(p, sc.ATTR_BATCH_EVENT_NAME) === 'item.processed',
);
const failedDelivered = logRecords.filter((r) => r.eventName === 'item.failed').length;
const writeReduction = 1 - requests / EVENTS;
const recordRatio = (logRecords.length + dataPoints) / EVENTS;
const stats = events.stats();

const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
const n = (x: number) => x.toLocaleString('en-US');
const checks = [
  [`write reduction >= ${pct(TARGET)}`, writeReduction >= TARGET],
  [`record reduction >= ${pct(TARGET)}`, 1 - recordRatio >= TARGET],
  ['every error delivered (none sampled out)', failedDelivered === sent.failed],
  ['batch.events total exact', counterTotal === EVENTS],
  ['batch.event.duration count exact', durationCount === sent.processed],
  ['every record handed to the SDK delivered', logRecords.length === stats.recorded],
] as const;

console.log(`events benchmark: ${n(EVENTS)} item events through createEvents → startTelemetry (http/json) → in-process OTLP sink`);
console.log(
  `  mix: item.processed ${n(sent.processed)} (rate ${RATES['item.processed']}, durationMs), item.retried ${n(sent.retried)} (rate ${RATES['item.retried']}, attempts), item.failed ${n(sent.failed)} (errors, never sampled)`,
);
console.log(`  records in:             ${n(EVENTS)}`);
console.log(
  `  log records out:        ${n(logRecords.length)} (item.processed ${n(logRecords.filter((r) => r.eventName === 'item.processed').length)}, item.retried ${n(logRecords.filter((r) => r.eventName === 'item.retried').length)}, item.failed ${n(failedDelivered)})`,
);
console.log(`  data points out:        ${n(dataPoints)} (${n(ourPoints)} batch.event*, the rest SDK self-telemetry)`);
console.log(
  `  export requests out:    ${n(requests)} (logs ${n(sink.of('logs').length)}, metrics ${n(sink.of('metrics').length)}, traces ${n(sink.of('traces').length)})`,
);
console.log(`  write reduction:        ${pct(writeReduction)} (1 - requests / records in; the usual analytics target is 95%)`);
console.log(`  record reduction:       ${pct(1 - recordRatio)} ((log records + data points) / records in = ${pct(recordRatio)})`);
console.log(`  counter total:          ${n(counterTotal)} (batch.events, every event sampled in or out)`);
console.log(`  duration histogram:     ${n(durationCount)} item.processed values (sent ${n(sent.processed)})`);
console.log(`  ns per event:           ${Math.round(Number(callNs) / EVENTS)} (event() calls only; loop with yields ${loopMs.toFixed(0)} ms)`);
for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
const pass = checks.every(([, ok]) => ok);
console.log(pass ? 'PASS' : 'FAIL');
process.exitCode = pass ? 0 : 1;
