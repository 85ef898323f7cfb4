import { metrics, type Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  AggregationType,
  type AggregationOption,
  type InstrumentType,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_OTEL_COMPONENT_NAME,
  ATTR_OTEL_COMPONENT_TYPE,
  DELIVERY_METRICS,
  SCOPE_NAME,
} from '../semconv.js';
import type { Redactor } from './redact.js';

/**
 * The SDK's own export health (`otel.sdk.exporter.*.exported`), counted where
 * every export result passes: the pipeline dashboard shows what was delivered
 * and what failed, by error.type. Totals are kept here and observed, as the
 * contract (and the durable path) declare it: an observable counter.
 */
class ExportCounter {
  private registered = false;
  private readonly ok: Attributes;
  private readonly totals = new Map<Attributes, number>();
  private readonly failedAttrs = new Map<string, Attributes>();
  private other: Attributes | undefined;

  constructor(
    private readonly definition: { name: string; unit: string; description: string },
    componentType: string,
  ) {
    this.ok = { [ATTR_OTEL_COMPONENT_TYPE]: componentType, [ATTR_OTEL_COMPONENT_NAME]: `${componentType}/0` };
  }

  count(items: number, result: ExportResult): void {
    // Registered lazily: the meter provider is registered after the exporters are built.
    if (!this.registered) {
      this.registered = true;
      metrics
        .getMeter(SCOPE_NAME)
        .createObservableCounter(this.definition.name, { unit: this.definition.unit, description: this.definition.description })
        .addCallback((result) => {
          for (const [attributes, total] of this.totals) result.observe(total, attributes);
        });
    }
    const attrs = result.code === ExportResultCode.SUCCESS ? this.ok : this.failed(result);
    this.totals.set(attrs, (this.totals.get(attrs) ?? 0) + items);
  }

  private failed(result: ExportResult): Attributes {
    const type = (result.error as { code?: string } | undefined)?.code ?? result.error?.name ?? 'export_failed';
    const known = this.failedAttrs.get(type);
    if (known) return known;
    // error.type's own fallback value: an unbounded set of reasons must not grow the series.
    if (this.failedAttrs.size >= 16) return (this.other ??= { ...this.ok, [ATTR_ERROR_TYPE]: '_OTHER' });
    const attrs = { ...this.ok, [ATTR_ERROR_TYPE]: type };
    this.failedAttrs.set(type, attrs);
    return attrs;
  }
}

/** The attributes as they may leave the process, or undefined when nothing in them needs masking (the common case). */
function redactAttributes(redactor: Redactor, attributes: Attributes | undefined): Attributes | undefined {
  if (!attributes) return undefined;
  let out: Attributes | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    const masked = redactor.value(key, value) as Attributes[string];
    const same = Array.isArray(value) && Array.isArray(masked) ? value.every((item, i) => item === masked[i]) : masked === value;
    if (same) continue;
    out ??= { ...attributes };
    out[key] = masked;
  }
  return out;
}

/**
 * The span with secrets masked. Most spans carry none: those are returned as
 * they are, so the serialiser sees the SDK's own objects (a wrapped span is
 * much slower to serialise). Otherwise a view whose own fields are read
 * through the prototype, with attributes, events, links and status replaced.
 */
export function redactSpan(redactor: Redactor, span: ReadableSpan): ReadableSpan {
  const attributes = redactAttributes(redactor, span.attributes);
  let eventsChanged = false;
  const events = span.events.map((event) => {
    const masked = redactAttributes(redactor, event.attributes);
    if (!masked) return event;
    eventsChanged = true;
    return { ...event, attributes: masked };
  });
  let linksChanged = false;
  const links = span.links.map((link) => {
    const masked = redactAttributes(redactor, link.attributes);
    if (!masked) return link;
    linksChanged = true;
    return { ...link, attributes: masked };
  });
  const message = span.status.message === undefined ? undefined : redactor.text(span.status.message);
  const statusChanged = message !== span.status.message;
  if (!attributes && !eventsChanged && !linksChanged && !statusChanged) return span;
  return Object.create(span, {
    attributes: { value: attributes ?? span.attributes, enumerable: true },
    events: { value: eventsChanged ? events : span.events, enumerable: true },
    links: { value: linksChanged ? links : span.links, enumerable: true },
    status: { value: statusChanged ? { ...span.status, message } : span.status, enumerable: true },
  }) as ReadableSpan;
}

export function redactLog(redactor: Redactor, record: ReadableLogRecord): ReadableLogRecord {
  const attributes = redactAttributes(redactor, record.attributes as Attributes);
  const body = record.body;
  const maskedBody = typeof body === 'string' ? redactor.text(body) : redactor.value('body', body);
  if (!attributes && maskedBody === body) return record;
  return Object.create(record, {
    attributes: { value: attributes ?? record.attributes, enumerable: true },
    body: { value: maskedBody, enumerable: true },
  }) as ReadableLogRecord;
}

/** Masks secrets in every span before the wrapped exporter serialises it. */
export class RedactingSpanExporter implements SpanExporter {
  private readonly exported = new ExportCounter(DELIVERY_METRICS.spanExported, 'otlp_http_span_exporter');

  constructor(
    private readonly inner: SpanExporter,
    private readonly redactor: Redactor,
  ) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map((span) => redactSpan(this.redactor, span)), (result) => {
      this.exported.count(spans.length, result);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Masks secrets in every log record (attributes and body) before export. */
export class RedactingLogRecordExporter implements LogRecordExporter {
  private readonly exported = new ExportCounter(DELIVERY_METRICS.logExported, 'otlp_http_log_exporter');

  constructor(
    private readonly inner: LogRecordExporter,
    private readonly redactor: Redactor,
  ) {}
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inner.export(records.map((record) => redactLog(this.redactor, record)), (result) => {
      this.exported.count(records.length, result);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Metric data points' attributes masked (the resource is masked where it is built). */
function redactMetrics(redactor: Redactor, metrics: ResourceMetrics): ResourceMetrics {
  let changed = false;
  const scopeMetrics = metrics.scopeMetrics.map((scope) => ({
    ...scope,
    metrics: scope.metrics.map((metric) => {
      let metricChanged = false;
      const dataPoints = (metric.dataPoints as Array<{ attributes: Attributes }>).map((point) => {
        const attributes = redactAttributes(redactor, point.attributes);
        if (!attributes) return point;
        metricChanged = true;
        return { ...point, attributes };
      });
      if (!metricChanged) return metric;
      changed = true;
      return { ...metric, dataPoints } as MetricData;
    }),
  }));
  return changed ? { ...metrics, scopeMetrics } : metrics;
}

/** Masks secrets in metric attributes before export; temporality and aggregation are the wrapped exporter's. */
export class RedactingMetricExporter implements PushMetricExporter {
  constructor(
    private readonly inner: PushMetricExporter,
    private readonly redactor: Redactor,
  ) {}
  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.inner.export(redactMetrics(this.redactor, metrics), done);
  }
  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.inner.selectAggregationTemporality?.(instrumentType) ?? AggregationTemporality.CUMULATIVE;
  }
  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this.inner.selectAggregation?.(instrumentType) ?? { type: AggregationType.DEFAULT };
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
