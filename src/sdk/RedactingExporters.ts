import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
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
import type { Redactor } from './redact.js';

/** The attributes as they may leave the process, or undefined when nothing in them needs masking (the common case). */
function redactAttributes(redactor: Redactor, attributes: Attributes | undefined): Attributes | undefined {
  if (!attributes) return undefined;
  let out: Attributes | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    // The redactor hands back the value itself (lists included) when nothing in it needed masking.
    const masked = redactor.value(key, value) as Attributes[string];
    if (masked === value) continue;
    out ??= { ...attributes };
    out[key] = masked;
  }
  return out;
}

/**
 * A log body's strings are cut to this many characters before they are masked
 * and encoded: one huge record must not stall the event loop (attribute
 * values are bounded by the providers' attribute limits instead).
 */
export const LOG_BODY_LIMIT = 64 * 1024;

const truncate = (text: string, limit: number) => (text.length > limit ? `${text.slice(0, limit)}…[truncated ${text.length - limit} chars]` : text);

/** Strings in a body cut to the limit, lists and maps walked as the redactor walks them; the same object back when nothing changed. */
function truncateBody(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return truncate(v, LOG_BODY_LIMIT);
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || depth >= 8) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const cut = truncateBody(v[i], depth + 1);
      if (cut === v[i]) continue;
      out ??= v.slice();
      out[i] = cut;
    }
    return out ?? v;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, item] of Object.entries(v)) {
    const cut = truncateBody(item, depth + 1);
    if (cut === item) continue;
    out ??= { ...v };
    out[k] = cut;
  }
  return out ?? v;
}

/**
 * The span with secrets masked (its name too). Most spans carry none: those are returned as
 * they are, so the serialiser sees the SDK's own objects (a wrapped span is
 * much slower to serialise). Otherwise a view whose own fields are read
 * through the prototype, with attributes, events, links and status replaced.
 */
/** Span events or links with their attributes masked: the same array when none needed it (most spans have none at all). */
function maskedEach<T extends { readonly attributes?: Attributes }>(redactor: Redactor, items: T[]): T[] {
  if (items.length === 0) return items;
  let changed = false;
  const masked = items.map((item) => {
    const attributes = redactAttributes(redactor, item.attributes);
    if (!attributes) return item;
    changed = true;
    return { ...item, attributes };
  });
  return changed ? masked : items;
}

export function redactSpan(redactor: Redactor, span: ReadableSpan): ReadableSpan {
  const attributes = redactAttributes(redactor, span.attributes);
  const events = maskedEach(redactor, span.events);
  const links = maskedEach(redactor, span.links);
  const message = span.status.message === undefined ? undefined : redactor.text(span.status.message);
  const statusChanged = message !== span.status.message;
  const name = redactor.text(span.name);
  if (!attributes && events === span.events && links === span.links && !statusChanged && name === span.name) return span;
  return Object.create(span, {
    name: { value: name, enumerable: true },
    attributes: { value: attributes ?? span.attributes, enumerable: true },
    events: { value: events, enumerable: true },
    links: { value: links, enumerable: true },
    status: { value: statusChanged ? { ...span.status, message } : span.status, enumerable: true },
  }) as ReadableSpan;
}

export function redactLog(redactor: Redactor, record: ReadableLogRecord): ReadableLogRecord {
  const attributes = redactAttributes(redactor, record.attributes as Attributes);
  const body = record.body;
  const cut = truncateBody(body);
  const maskedBody = typeof cut === 'string' ? redactor.text(cut) : redactor.value('body', cut);
  if (!attributes && maskedBody === body) return record;
  return Object.create(record, {
    attributes: { value: attributes ?? record.attributes, enumerable: true },
    body: { value: maskedBody, enumerable: true },
  }) as ReadableLogRecord;
}

/** Masks secrets in every span before the wrapped exporter serialises it. */
export class RedactingSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly redactor: Redactor,
  ) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(
      spans.map((span) => redactSpan(this.redactor, span)),
      done,
    );
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
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly redactor: Redactor,
  ) {}
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inner.export(
      records.map((record) => redactLog(this.redactor, record)),
      done,
    );
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
  /** The wrapped exporter's aggregation for this instrument type, or the default. */
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
