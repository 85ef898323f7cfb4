import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createEvents } from '../../src/index.js';
import { startTelemetry } from '../../src/sdk/index.js';
import * as sc from '../../src/semconv.js';
import { OtlpSink } from '../support/otlpSink.js';
import { waitFor } from '../support/stack.js';
import { seeded } from '../support/seeded.js';

interface JsonAttribute {
  key: string;
  value: { stringValue?: string; doubleValue?: number; intValue?: number | string };
}
interface JsonPoint {
  attributes?: JsonAttribute[];
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
}
interface JsonMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: JsonPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints: JsonPoint[]; aggregationTemporality?: number };
}

const CUMULATIVE = 2;
const attr = (attributes: JsonAttribute[] | undefined, key: string) => {
  const value = attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? value?.doubleValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

/** The latest cumulative point of each series of a metric, keyed by its attributes. */
function latestPoints(sink: OtlpSink, name: string): JsonPoint[] {
  const latest = new Map<string, JsonPoint>();
  for (const request of sink.of('metrics')) {
    const body = request.json as { resourceMetrics?: Array<{ scopeMetrics: Array<{ metrics: JsonMetric[] }> }> };
    for (const metric of (body.resourceMetrics ?? []).flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))) {
      if (metric.name !== name) continue;
      const data = metric.sum ?? metric.histogram;
      expect(data?.aggregationTemporality, `${name} is cumulative`).toBe(CUMULATIVE);
      for (const point of data?.dataPoints ?? []) latest.set(JSON.stringify(point.attributes ?? []), point);
    }
  }
  return [...latest.values()];
}

const sinks: OtlpSink[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('events through startTelemetry to a real OTLP/HTTP endpoint', () => {
  it('errors all arrive, before shutdown; counts and histograms are exact; sampled records say their rate', async () => {
    const sink = new OtlpSink();
    sinks.push(sink);
    const endpoint = await sink.start();
    const spoolDir = mkdtempSync(join(tmpdir(), 'batchtel-events-test-'));
    dirs.push(spoolDir);
    const telemetry = startTelemetry({ serviceName: 'events-test', endpoint, protocol: 'http/json', handleSignals: false, spoolDir });
    const events = createEvents({
      samplingRates: new Map([
        ['item.processed', 0.01],
        ['item.retried', 0.2],
      ]),
      random: seeded(11),
    });

    const TOTAL = 20_000;
    const sent = { processed: 0, retried: 0, failed: 0 };
    for (let i = 0; i < TOTAL; i++) {
      if (i % 200 === 100) {
        events.event('item.failed', { [sc.ATTR_ERROR_TYPE]: i % 400 === 100 ? '503' : 'TimeoutError', 'item.kind': 'invoice' });
        sent.failed++;
      } else if (i % 20 === 10) {
        events.event('item.retried', { 'item.kind': 'invoice' }, { values: { attempts: 2 } });
        sent.retried++;
      } else {
        events.event('item.processed', { 'item.kind': 'invoice' }, { values: { durationMs: 40 } });
        sent.processed++;
      }
      if (i % 1000 === 999) await yieldToLoop();
    }

    // Errors reach the endpoint while the process runs: nothing waits for shutdown.
    const failed = () => sink.logRecords().filter((r) => r.eventName === 'item.failed');
    await waitFor('every item.failed record at the endpoint', async () => failed().length === sent.failed, 10_000);
    await telemetry.shutdown();

    const records = sink.logRecords() as Array<{ eventName?: string; severityNumber?: number; attributes: JsonAttribute[] }>;
    expect(records).toHaveLength(events.stats().recorded);
    expect(events.stats().events).toBe(TOTAL);
    for (const record of records.filter((r) => r.eventName === 'item.failed')) {
      expect(record.severityNumber).toBe(17);
      expect(attr(record.attributes, sc.ATTR_BATCH_EVENT_PRIORITY)).toBe('high');
      expect(attr(record.attributes, sc.ATTR_BATCH_EVENT_SAMPLE_RATE)).toBe(1);
      expect(attr(record.attributes, 'event.name')).toBeUndefined();
    }
    const processed = records.filter((r) => r.eventName === 'item.processed');
    expect(processed.length).toBeGreaterThan(sent.processed * 0.005);
    expect(processed.length).toBeLessThan(sent.processed * 0.02);
    for (const record of processed) {
      expect(record.severityNumber).toBe(9);
      expect(attr(record.attributes, sc.ATTR_BATCH_EVENT_SAMPLE_RATE)).toBe(0.01);
      expect(attr(record.attributes, 'durationMs')).toBe(40);
    }

    // Exact totals by name, priority and error.type, sampled in or out.
    const counts = Object.fromEntries(
      latestPoints(sink, sc.METRIC_BATCH_EVENTS).map((p) => [
        [attr(p.attributes, sc.ATTR_BATCH_EVENT_NAME), attr(p.attributes, sc.ATTR_BATCH_EVENT_PRIORITY), attr(p.attributes, sc.ATTR_ERROR_TYPE)]
          .filter((x) => x !== undefined)
          .join('/'),
        Number(p.asInt ?? p.asDouble),
      ]),
    );
    expect(counts).toEqual({
      'item.processed/normal': sent.processed,
      'item.retried/normal': sent.retried,
      'item.failed/high/503': sent.failed / 2,
      'item.failed/high/TimeoutError': sent.failed / 2,
    });

    const durations = latestPoints(sink, sc.METRIC_BATCH_EVENT_DURATION);
    const processedDuration = durations.find((p) => attr(p.attributes, sc.ATTR_BATCH_EVENT_NAME) === 'item.processed')!;
    expect(attr(processedDuration.attributes, sc.ATTR_BATCH_EVENT_MEASURE)).toBe('duration');
    expect(Number(processedDuration.count)).toBe(sent.processed);
    expect(processedDuration.sum).toBeCloseTo(sent.processed * 0.04, 6);
    const attempts = latestPoints(sink, sc.METRIC_BATCH_EVENT_VALUE).find((p) => attr(p.attributes, sc.ATTR_BATCH_EVENT_MEASURE) === 'attempts')!;
    expect([Number(attempts.count), attempts.sum]).toEqual([sent.retried, sent.retried * 2]);
  });
});
