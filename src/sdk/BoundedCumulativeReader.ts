import { diag, type Attributes, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, millisToHrTime, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

const OVERFLOW_KEY = '\u0000overflow';
const OVERFLOW: Attributes = { 'otel.metric.overflow': true };

interface Series {
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  value: number | Histogram;
}

interface Accumulated {
  readonly scope: InstrumentationScope;
  /** The latest collection's metric, for its descriptor and kind. */
  template: MetricData;
  readonly series: Map<string, Series>;
}

/** Options of `new BoundedCumulativeReader(options)`. */
export interface BoundedCumulativeReaderOptions {
  readonly exporter: PushMetricExporter;
  readonly exportIntervalMillis: number;
  /** A collection or export taking longer is given up (30 s by default). */
  readonly exportTimeoutMillis?: number;
  /** Series per metric, the overflow series included. */
  readonly cardinalityLimit: number;
  /** Exponential histograms stay with the SDK (merging scales is its job). */
  readonly exponentialHistograms: boolean;
}

const keyOf = (attributes: Attributes) =>
  attributes['otel.metric.overflow'] === true && Object.keys(attributes).length === 1
    ? OVERFLOW_KEY
    : JSON.stringify(
        Object.keys(attributes)
          .sort()
          .map((k) => [k, attributes[k]]),
      );

function add(into: Series, point: DataPoint<number | Histogram>): void {
  if (typeof into.value === 'number') {
    into.value += point.value as number;
    return;
  }
  const a = into.value;
  const b = point.value as Histogram;
  into.value = {
    buckets: { boundaries: a.buckets.boundaries, counts: a.buckets.counts.map((count, i) => count + (b.buckets.counts[i] ?? 0)) },
    count: a.count + b.count,
    ...(a.sum === undefined && b.sum === undefined ? {} : { sum: (a.sum ?? 0) + (b.sum ?? 0) }),
    ...(b.min === undefined ? (a.min === undefined ? {} : { min: a.min }) : { min: a.min === undefined ? b.min : Math.min(a.min, b.min) }),
    ...(b.max === undefined ? (a.max === undefined ? {} : { max: a.max }) : { max: a.max === undefined ? b.max : Math.max(a.max, b.max) }),
  };
}

/** The instrument behind a collected sum or histogram, as far as its data says. */
function instrumentOf(metric: MetricData): InstrumentType | undefined {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return InstrumentType.HISTOGRAM;
  if (metric.dataPointType === DataPointType.SUM) return metric.isMonotonic ? InstrumentType.COUNTER : InstrumentType.UP_DOWN_COUNTER;
  return undefined;
}

/**
 * A periodic metric reader whose cumulative sums and histograms hold memory
 * and series within the cardinality limit. The SDK's own cumulative storage
 * keeps every attribute set it ever saw: its limit holds per collection, so
 * 100,000 distinct values arriving over many exports grow memory and backend
 * series without end (sdk-metrics 2.x merges the cumulative history without
 * the limit). Here synchronous counters, up-down counters and explicit-bucket
 * histograms are collected as delta (the SDK forgets after each collection)
 * and summed into at most `cardinalityLimit` series per metric; attribute
 * sets beyond `limit - 1` fold into the `otel.metric.overflow=true` series,
 * so totals stay exact. Every series is exported each interval, also when
 * nothing new was recorded, as cumulative series are.
 */
export class BoundedCumulativeReader extends MetricReader {
  private readonly state = new Map<string, Accumulated>();
  /** What an observable cumulative series counts from (see `withStart`). */
  private readonly startedAt = millisToHrTime(Date.now());
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: BoundedCumulativeReaderOptions) {
    const exporter = options.exporter;
    const wanted = (type: InstrumentType) => exporter.selectAggregationTemporality?.(type) ?? AggregationTemporality.CUMULATIVE;
    const accumulates = (type: InstrumentType) =>
      wanted(type) === AggregationTemporality.CUMULATIVE &&
      (type === InstrumentType.COUNTER || type === InstrumentType.UP_DOWN_COUNTER || (type === InstrumentType.HISTOGRAM && !options.exponentialHistograms));
    super({
      aggregationTemporalitySelector: (type) => (accumulates(type) ? AggregationTemporality.DELTA : wanted(type)),
      aggregationSelector: (type) => exporter.selectAggregation?.(type) ?? { type: AggregationType.DEFAULT },
      cardinalitySelector: () => options.cardinalityLimit,
    });
    this.accumulates = accumulates;
  }

  private readonly accumulates: (type: InstrumentType) => boolean;

  protected override onInitialized(): void {
    this.timer = setInterval(() => void this.run(), this.options.exportIntervalMillis);
    this.timer.unref();
  }

  protected override async onForceFlush(): Promise<void> {
    await this.run();
    await this.options.exporter.forceFlush();
  }

  protected override async onShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.run();
    await this.options.exporter.shutdown();
  }

  /** One collection and export at a time; a call during one waits for it and runs again. */
  private run(): Promise<void> {
    const previous = this.running ?? Promise.resolve();
    const next = previous.then(() => this.exportOnce()).catch((error: unknown) => diag.error(`batchtel: metric export failed: ${String(error)}`));
    this.running = next;
    void next.finally(() => {
      if (this.running === next) this.running = undefined;
    });
    return next;
  }

  private async exportOnce(): Promise<void> {
    const { resourceMetrics, errors } = await this.collect({ timeoutMillis: this.options.exportTimeoutMillis ?? 30_000 });
    if (errors.length > 0) diag.error('batchtel: metric collection errors', ...errors);
    const out = this.accumulate(resourceMetrics);
    if (out.scopeMetrics.length === 0) return;
    // One export that never answers must not hold back every later one (exports run one at a time).
    const timeoutMillis = this.options.exportTimeoutMillis ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const result = await new Promise<ExportResult>((resolve) => {
      timer = setTimeout(() => resolve({ code: ExportResultCode.FAILED, error: new Error(`no answer within ${timeoutMillis} ms`) }), timeoutMillis);
      timer.unref();
      try {
        this.options.exporter.export(out, resolve);
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
    clearTimeout(timer);
    if (result.code !== ExportResultCode.SUCCESS) diag.error(`batchtel: metric export failed: ${result.error?.message ?? 'unknown error'}`);
  }

  private accumulate(collected: ResourceMetrics): ResourceMetrics {
    const scopes = new Map<string, ScopeMetrics>();
    const scopeOf = (scope: InstrumentationScope) => {
      const key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
      let entry = scopes.get(key);
      if (!entry) scopes.set(key, (entry = { scope, metrics: [] }));
      return { key, entry };
    };
    for (const { scope, metrics } of collected.scopeMetrics) {
      const { key, entry } = scopeOf(scope);
      for (const metric of metrics) {
        const type = instrumentOf(metric);
        if (metric.aggregationTemporality !== AggregationTemporality.DELTA || type === undefined || !this.accumulates(type)) {
          entry.metrics.push(this.withStart(metric));
          continue;
        }
        this.add(`${key}\u0000${metric.descriptor.name}`, scope, metric);
      }
    }
    // Every series is as of this collection, updated or not: a backend sees a new sample each interval.
    const endTime = millisToHrTime(Date.now());
    for (const accumulated of this.state.values()) {
      const dataPoints = [...accumulated.series.values()].map((s) => ({ attributes: s.attributes, startTime: s.startTime, endTime, value: s.value }));
      scopeOf(accumulated.scope).entry.metrics.push({
        ...accumulated.template,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPoints,
      } as MetricData);
    }
    return { resource: collected.resource, scopeMetrics: [...scopes.values()].filter((s) => s.metrics.length > 0) };
  }

  /**
   * The SDK starts an observable counter's cumulative series at the collection
   * that first sees it, so a job shorter than one export interval arrives with
   * start = time: no start for a backend to store as a zero sample, and its
   * single value shows no increase. Its value counts from no earlier than this
   * reader's start, which is the truthful start there.
   */
  private withStart(metric: MetricData): MetricData {
    if (metric.aggregationTemporality !== AggregationTemporality.CUMULATIVE || metric.dataPointType === DataPointType.GAUGE) return metric;
    const starts = (p: DataPoint<unknown>) =>
      hrTimeToMilliseconds(p.startTime) >= hrTimeToMilliseconds(p.endTime) && hrTimeToMilliseconds(this.startedAt) < hrTimeToMilliseconds(p.endTime);
    if (!(metric.dataPoints as Array<DataPoint<unknown>>).some(starts)) return metric;
    const dataPoints = (metric.dataPoints as Array<DataPoint<unknown>>).map((p) => (starts(p) ? { ...p, startTime: this.startedAt } : p));
    return { ...metric, dataPoints } as MetricData;
  }

  private add(id: string, scope: InstrumentationScope, metric: MetricData): void {
    let accumulated = this.state.get(id);
    if (!accumulated) this.state.set(id, (accumulated = { scope, template: metric, series: new Map() }));
    accumulated.template = metric;
    const series = accumulated.series;
    for (const point of metric.dataPoints as Array<DataPoint<number | Histogram>>) {
      let key = keyOf(point.attributes);
      const named = series.size - (series.has(OVERFLOW_KEY) ? 1 : 0);
      if (!series.has(key) && key !== OVERFLOW_KEY && named >= this.options.cardinalityLimit - 1) key = OVERFLOW_KEY;
      const existing = series.get(key);
      if (existing) add(existing, point);
      else series.set(key, { attributes: key === OVERFLOW_KEY ? OVERFLOW : point.attributes, startTime: point.startTime, value: point.value });
    }
  }
}
