import { ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  type Histogram,
  type HistogramMetricData,
  type PushMetricExporter,
  type ResourceMetrics,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it, vi } from 'vitest';
import { BoundedCumulativeReader } from '../../../src/sdk/BoundedCumulativeReader.js';
import { batchtelTemporalitySelector } from '../../../src/sdk/temporality.js';

/** A provider whose reader exports to a recording exporter only when flushed. */
function setup(limit: number) {
  const received: ResourceMetrics[] = [];
  const exporter: PushMetricExporter = {
    export: (m, done) => {
      received.push(m);
      done({ code: ExportResultCode.SUCCESS });
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    selectAggregationTemporality: batchtelTemporalitySelector,
  };
  const reader = new BoundedCumulativeReader({ exporter, exportIntervalMillis: 2 ** 30, cardinalityLimit: limit, exponentialHistograms: false });
  const provider = new MeterProvider({ readers: [reader] });
  const metric = <T>(name: string) =>
    received
      .at(-1)!
      .scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name) as T;
  return { meter: provider.getMeter('test'), flush: () => provider.forceFlush(), metric, received, shutdown: () => provider.shutdown() };
}

describe('BoundedCumulativeReader', () => {
  it('an observable counter first seen at a collection starts when the reader did, not at that collection', async () => {
    const before = Date.now();
    const { meter, flush, metric, shutdown } = setup(10);
    let items = 0;
    meter.createObservableCounter('items').addCallback((result) => result.observe(items, { op: 'short' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    items = 25;
    await flush();
    // The backend stores the start as a zero sample before the first value: increase() then sees the 25.
    const point = metric<SumMetricData>('items').dataPoints[0]!;
    const millis = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(millis(point.startTime)).toBeLessThan(millis(point.endTime));
    expect(millis(point.startTime)).toBeGreaterThanOrEqual(before - 1);
    await shutdown();
  });

  it('turns delta collections of a counter into cumulative sums, exported each time even with nothing new', async () => {
    const { meter, flush, metric, received, shutdown } = setup(10);
    const counter = meter.createCounter('c');
    counter.add(2, { k: 'a' });
    counter.add(3, { k: 'b' });
    await flush();
    counter.add(5, { k: 'a' });
    await flush();
    await flush();
    expect(received).toHaveLength(3);
    const sum = metric<SumMetricData>('c');
    expect(sum.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(Object.fromEntries(sum.dataPoints.map((p) => [p.attributes['k'], p.value]))).toEqual({ a: 7, b: 3 });
    // A cumulative series keeps its start.
    expect(sum.dataPoints[0]!.startTime).toEqual((received[0]!.scopeMetrics[0]!.metrics[0] as SumMetricData).dataPoints[0]!.startTime);
    await shutdown();
  });

  it('holds at most the limit of series over many exports; the rest folds into the overflow series, totals exact', async () => {
    const { meter, flush, metric, shutdown } = setup(5);
    const counter = meter.createCounter('c');
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 20; i++) counter.add(1, { user: `${round}-${i}` });
      await flush();
    }
    const sum = metric<SumMetricData>('c');
    expect(sum.dataPoints).toHaveLength(5);
    expect(sum.dataPoints.filter((p) => p.attributes['otel.metric.overflow'] === true)).toHaveLength(1);
    expect(sum.dataPoints.reduce((total, p) => total + p.value, 0)).toBe(80);
    await shutdown();
  });

  it('sums histogram buckets, counts, sums, min and max', async () => {
    const { meter, flush, metric, shutdown } = setup(10);
    const histogram = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [1, 10] } });
    histogram.record(0.5);
    histogram.record(5);
    await flush();
    histogram.record(50);
    await flush();
    const h = metric<HistogramMetricData>('h');
    expect(h.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(h.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(h.dataPoints[0]!.value as Histogram).toMatchObject({ count: 3, sum: 55.5, min: 0.5, max: 50, buckets: { boundaries: [1, 10], counts: [1, 1, 1] } });
    await shutdown();
  });

  it('leaves observable instruments to the exporter’s temporality (gauges delta, observable counters cumulative)', async () => {
    const { meter, flush, metric, shutdown } = setup(10);
    let observed = 0;
    meter.createObservableCounter('oc').addCallback((r) => r.observe((observed += 10)));
    meter.createObservableGauge('g').addCallback((r) => r.observe(1));
    await flush();
    await flush();
    expect(metric<SumMetricData>('oc').aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(metric<SumMetricData>('oc').dataPoints[0]!.value).toBe(20);
    expect(metric<SumMetricData>('g').aggregationTemporality).toBe(AggregationTemporality.DELTA);
    await shutdown();
  });

  it('gives up on an export that never answers after the export timeout, so later exports still run', async () => {
    vi.useFakeTimers();
    try {
      const calls: number[] = [];
      const exporter: PushMetricExporter = {
        // The first export hangs for ever; the later ones answer.
        export: (_m, done) => {
          calls.push(calls.length);
          if (calls.length > 1) done({ code: ExportResultCode.SUCCESS });
        },
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
        selectAggregationTemporality: batchtelTemporalitySelector,
      };
      const reader = new BoundedCumulativeReader({
        exporter,
        exportIntervalMillis: 1000,
        exportTimeoutMillis: 500,
        cardinalityLimit: 10,
        exponentialHistograms: false,
      });
      const provider = new MeterProvider({ readers: [reader] });
      provider.getMeter('test').createCounter('c').add(1);
      await vi.advanceTimersByTimeAsync(1000);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(2000);
      expect(calls.length).toBeGreaterThanOrEqual(2);
      const flushed = provider.forceFlush();
      await vi.advanceTimersByTimeAsync(10);
      await flushed;
      expect(calls.length).toBeGreaterThanOrEqual(3);
      await provider.shutdown();
    } finally {
      vi.useRealTimers();
    }
  });
});
