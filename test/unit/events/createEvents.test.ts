import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvents } from '../../../src/index.js';
import * as sc from '../../../src/semconv.js';
import { createTestTelemetry, pointWith, type TestTelemetry } from '../../support/otel.js';
import { seeded } from '../../support/seeded.js';

/** Every `batch.events` data point, as name/priority/error.type → count. */
async function counts(t: TestTelemetry): Promise<Map<string, number>> {
  const metric = await t.metric(sc.METRIC_BATCH_EVENTS);
  const out = new Map<string, number>();
  for (const point of (metric?.dataPoints ?? []) as Array<{ attributes: Record<string, unknown>; value: number }>) {
    const a = point.attributes;
    const key = [a[sc.ATTR_BATCH_EVENT_NAME], a[sc.ATTR_BATCH_EVENT_PRIORITY], a[sc.ATTR_ERROR_TYPE]].filter((x) => x !== undefined).join('/');
    out.set(key, (out.get(key) ?? 0) + point.value);
  }
  return out;
}

const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);

describe('createEvents', () => {
  let t: TestTelemetry;
  let warnings: string[];

  beforeEach(() => {
    t = createTestTelemetry();
    warnings = [];
    const record = (message: string) => warnings.push(message);
    const logger: DiagLogger = { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} };
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  });

  /** The logger and meter providers of the test SDK (events use no tracer). */
  const providers = () => ({ loggerProvider: t.providers.loggerProvider, meterProvider: t.providers.meterProvider });

  afterEach(async () => {
    diag.disable();
    await t.shutdown();
  });

  describe('options are checked at construction, naming the field', () => {
    it.each([
      [{ samplingRates: new Map([['cache_hit', 2]]) }, '`samplingRates.cache_hit`: expected a sampling rate from 0 to 1, got 2 (number)'],
      [{ samplingRates: { 'cache hit': 0.5 } }, '`samplingRates`: "cache hit" is not an event name'],
      [{ defaultSamplingRate: -0.1 }, '`defaultSamplingRate`: expected a sampling rate from 0 to 1, got -0.1 (number)'],
      [{ random: 4 }, '`random`: expected a function'],
      [{ maxSeries: 0 }, '`maxSeries`'],
      [{ meterProvider: {} }, '`meterProvider`: expected an OpenTelemetry provider with getMeter()'],
      [{ sampleRates: {} }, 'unknown option `sampleRates`'],
    ])('%j', (options, message) => {
      expect(() => createEvents(options as never)).toThrow(message);
    });

    it('accepts seed 002 configuration as a Map or an object', () => {
      expect(() =>
        createEvents({
          samplingRates: new Map([
            ['message_processed', 0.1],
            ['performance.response_time', 0.5],
          ]),
        }),
      ).not.toThrow();
      expect(() => createEvents({ samplingRates: { cache_hit: 0.05 }, defaultSamplingRate: 0.2 })).not.toThrow();
    });
  });

  it('emits a log record named through eventName, with priority, sample rate and INFO severity', () => {
    const events = createEvents({ ...providers() });
    events.event('command.used', { command: 'help' });
    const [record] = t.logs();
    expect(record?.eventName).toBe('command.used');
    expect(record?.attributes).toEqual({ command: 'help', [sc.ATTR_BATCH_EVENT_PRIORITY]: 'normal', [sc.ATTR_BATCH_EVENT_SAMPLE_RATE]: 1 });
    expect(record?.attributes).not.toHaveProperty('event.name');
    expect(record?.severityNumber).toBe(SeverityNumber.INFO);
    expect(record?.instrumentationScope.name).toBe(sc.SCOPE_NAME);
  });

  it('errors are ERROR, high priority WARN: both flushed early by the SDK processor', () => {
    const events = createEvents({ ...providers() });
    events.event('job.failed', { [sc.ATTR_ERROR_TYPE]: 'TimeoutError' });
    events.event('job.failed', { [sc.ATTR_EXCEPTION_TYPE]: 'TypeError', [sc.ATTR_EXCEPTION_MESSAGE]: 'bad' });
    events.event('job.failed', { error: 'connection reset' });
    events.event('purchase', { amount: 3 }, { priority: 'high' });
    events.event('cache.hit', {}, { priority: 'low' });
    const logs = t.logs();
    expect(logs.map((r) => [r.severityNumber, r.attributes[sc.ATTR_BATCH_EVENT_PRIORITY]])).toEqual([
      [SeverityNumber.ERROR, 'high'],
      [SeverityNumber.ERROR, 'high'],
      [SeverityNumber.ERROR, 'high'],
      [SeverityNumber.WARN, 'high'],
      [SeverityNumber.INFO, 'low'],
    ]);
    for (const record of logs.slice(0, 4))
      expect(record.severityNumber! >= SeverityNumber.ERROR || record.attributes[sc.ATTR_BATCH_EVENT_PRIORITY] === 'high').toBe(true);
  });

  it('samples per event name with the injected generator, and the kept records say their rate', () => {
    const events = createEvents({
      ...providers(),
      samplingRates: new Map([
        ['message_processed', 0.1],
        ['cache_hit', 0.05],
      ]),
      random: seeded(42),
    });
    for (let i = 0; i < 10_000; i++) {
      events.event('message_processed');
      events.event('cache_hit');
      events.event('page_view'); // default rate 1: the generator is not consulted
    }
    // The generator is drawn once per event with a rate strictly between 0 and 1, in call order.
    const replay = seeded(42);
    let message = 0;
    let cache = 0;
    for (let i = 0; i < 10_000; i++) {
      if (replay() < 0.1) message++;
      if (replay() < 0.05) cache++;
    }
    const byName = (name: string) => t.logs().filter((r) => r.eventName === name);
    expect(byName('message_processed')).toHaveLength(message);
    expect(byName('cache_hit')).toHaveLength(cache);
    expect(byName('page_view')).toHaveLength(10_000);
    expect(message).toBeGreaterThan(900);
    expect(message).toBeLessThan(1100);
    expect(new Set(byName('message_processed').map((r) => r.attributes[sc.ATTR_BATCH_EVENT_SAMPLE_RATE]))).toEqual(new Set([0.1]));
    expect(events.stats()).toMatchObject({ events: 30_000, recorded: message + cache + 10_000, sampledOut: 20_000 - message - cache });
  });

  it('never samples out errors or high-priority events, even at rate 0', () => {
    const events = createEvents({ ...providers(), defaultSamplingRate: 0, random: () => 0.999 });
    for (let i = 0; i < 100; i++) events.event('item.processed');
    for (let i = 0; i < 7; i++) events.event('item.failed', { [sc.ATTR_ERROR_TYPE]: '503' });
    for (let i = 0; i < 3; i++) events.event('item.flagged', {}, { priority: 'high' });
    events.event('item.failed', { [sc.ATTR_ERROR_TYPE]: '503' }, { priority: 'low' });
    const logs = t.logs();
    expect(logs.filter((r) => r.eventName === 'item.processed')).toHaveLength(0);
    expect(logs.filter((r) => r.eventName === 'item.failed')).toHaveLength(8);
    expect(logs.filter((r) => r.eventName === 'item.flagged')).toHaveLength(3);
    for (const record of logs) expect(record.attributes[sc.ATTR_BATCH_EVENT_SAMPLE_RATE]).toBe(1);
  });

  it('counts every event exactly, sampled in or out, by name, priority and error.type', async () => {
    const events = createEvents({ ...providers(), samplingRates: { 'item.processed': 0.01 }, random: seeded(7) });
    for (let i = 0; i < 5000; i++) events.event('item.processed');
    for (let i = 0; i < 40; i++) events.event('item.failed', { [sc.ATTR_ERROR_TYPE]: i % 2 ? '503' : 'TimeoutError' });
    for (let i = 0; i < 20; i++) events.event('heartbeat', {}, { priority: 'low' });
    const c = await counts(t);
    expect(Object.fromEntries(c)).toEqual({
      'item.processed/normal': 5000,
      'item.failed/high/503': 20,
      'item.failed/high/TimeoutError': 20,
      'heartbeat/low': 20,
    });
    expect(sum(c)).toBe(events.stats().events);
    const def = sc.BATCH_METRICS.events;
    const metric = await t.metric(def.name);
    expect(metric?.descriptor.unit).toBe(def.unit);
    for (const point of metric!.dataPoints) for (const key of Object.keys(point.attributes)) expect(def.attributes).toContain(key);
    // Cumulative: a second collection still carries the totals.
    events.event('item.processed');
    expect((await counts(t)).get('item.processed/normal')).toBe(5001);
  });

  it('aggregates values into the contract histograms for every event; durations in seconds', async () => {
    const events = createEvents({ ...providers(), samplingRates: { 'api.call': 0 } });
    for (let i = 1; i <= 100; i++) events.event('api.call', {}, { values: { durationMs: i * 10, response_time_ms: 5, bytes: 1000 } });
    events.event('api.call', { [sc.ATTR_ERROR_TYPE]: '500' }, { values: { durationMs: 2500 } });
    expect(t.logs()).toHaveLength(1);
    expect(t.logs()[0]!.attributes['durationMs']).toBe(2500);

    const duration = (await t.metric(sc.METRIC_BATCH_EVENT_DURATION)) as HistogramMetricData;
    expect(duration.descriptor.unit).toBe('s');
    const ok = pointWith<{ count: number; sum: number; buckets: { boundaries: number[] } }>(duration, {
      [sc.ATTR_BATCH_EVENT_NAME]: 'api.call',
      [sc.ATTR_BATCH_EVENT_MEASURE]: 'duration',
    })!;
    const okPoint = duration.dataPoints.find(
      (p) => p.attributes[sc.ATTR_BATCH_EVENT_MEASURE] === 'duration' && p.attributes[sc.ATTR_ERROR_TYPE] === undefined,
    )!;
    expect(ok).toBeDefined();
    expect(okPoint.value.count).toBe(100);
    expect(okPoint.value.sum).toBeCloseTo(50.5); // 10 ms .. 1000 ms
    expect(okPoint.value.buckets.boundaries).toEqual([...sc.EVENT_DURATION_BUCKETS]);
    const failed = duration.dataPoints.find((p) => p.attributes[sc.ATTR_ERROR_TYPE] === '500')!;
    expect([failed.value.count, failed.value.sum]).toEqual([1, 2.5]);
    expect(duration.dataPoints.find((p) => p.attributes[sc.ATTR_BATCH_EVENT_MEASURE] === 'response_time')?.value.count).toBe(100);

    const value = (await t.metric(sc.METRIC_BATCH_EVENT_VALUE)) as HistogramMetricData;
    expect(value.descriptor.unit).toBe(sc.BATCH_METRICS.eventValue.unit);
    const bytes = value.dataPoints.find((p) => p.attributes[sc.ATTR_BATCH_EVENT_MEASURE] === 'bytes')!;
    expect([bytes.value.count, bytes.value.sum]).toEqual([100, 100_000]);
    expect(bytes.value.buckets.boundaries).toEqual([...sc.EVENT_VALUE_BUCKETS]);
  });

  it('counts bad input instead of throwing, and reports each kind once through diag', async () => {
    const events = createEvents({ ...providers() });
    const bad = () => {
      events.event(42 as never);
      events.event('');
      events.event('has spaces in it');
      events.event('x'.repeat(200));
      events.event('ok', 'not attributes' as never);
      events.event('ok', {}, { priority: 'urgent' as never });
      events.event('ok', {}, { values: { durationMs: Number.NaN, other: 'x' as never } });
      events.event('ok', {}, { values: { waitMs: -5 } });
      events.event('ok', {}, { values: 12 as never });
      events.event('ok', {}, { values: { 'bad key!': 1 } });
    };
    expect(bad).not.toThrow();
    expect(bad).not.toThrow();
    const stats = events.stats();
    expect(stats.events).toBe(20);
    expect(stats.problems).toEqual({ invalid_name: 8, invalid_attributes: 2, invalid_priority: 2, invalid_value: 10 });
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toContain('event name 42 (number)');
    expect(warnings.join('\n')).toContain('[invalid_value; further occurrences are counted, not logged]');
    const c = await counts(t);
    expect(c.get(`${sc.BATCH_EVENT_OTHER}/normal`)).toBe(8);
    expect(sum(c)).toBe(20);
    // A well-formed key beside bad ones is still recorded; a bad key is folded into _OTHER.
    const value = (await t.metric(sc.METRIC_BATCH_EVENT_VALUE)) as HistogramMetricData;
    expect(value.dataPoints.find((p) => p.attributes[sc.ATTR_BATCH_EVENT_MEASURE] === sc.BATCH_EVENT_OTHER)?.value.count).toBe(2);
  });

  it('bounds names, error types and measures by maxSeries, totals exact and the overflow reported once', async () => {
    const events = createEvents({ ...providers(), maxSeries: 10, defaultSamplingRate: 0 });
    for (let i = 0; i < 1000; i++) events.event(`user_${i}.visited`, {}, { values: { [`m${i}Ms`]: 1 } });
    for (let i = 0; i < 100; i++) events.event('known.failed', { [sc.ATTR_ERROR_TYPE]: `E${i}` });
    const c = await counts(t);
    expect(c.size).toBeLessThanOrEqual(12);
    expect(c.get(`${sc.BATCH_EVENT_OTHER}/normal`)).toBeGreaterThan(900);
    expect(sum(c)).toBe(1100);
    expect(events.stats().problems.series_overflow).toBeGreaterThan(1000);
    expect(warnings.filter((w) => w.includes('series_overflow'))).toHaveLength(1);
    const duration = (await t.metric(sc.METRIC_BATCH_EVENT_DURATION)) as HistogramMetricData;
    expect(duration.dataPoints.length).toBeLessThanOrEqual(12);
    expect(duration.dataPoints.reduce((n, p) => n + p.value.count, 0)).toBe(1000);
  });

  it('a failing SDK is counted, not thrown into the caller', () => {
    const broken = {
      getLogger: () => ({
        emit: () => {
          throw new Error('exporter on fire');
        },
      }),
    };
    const events = createEvents({ loggerProvider: broken as never, meterProvider: t.providers.meterProvider });
    expect(() => events.event('x.happened')).not.toThrow();
    expect(() => events.event('x.happened')).not.toThrow();
    expect(events.stats().problems).toEqual({ telemetry_failed: 2 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('exporter on fire');
  });

  it('two instances on one meter provider add up into the same series', async () => {
    const a = createEvents({ ...providers() });
    const b = createEvents({ ...providers(), defaultSamplingRate: 0 });
    for (let i = 0; i < 3; i++) a.event('signup');
    for (let i = 0; i < 4; i++) b.event('signup');
    expect((await counts(t)).get('signup/normal')).toBe(7);
  });
});
