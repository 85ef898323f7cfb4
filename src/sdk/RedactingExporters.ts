import { metrics, type Attributes, type Counter } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
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
 * and what failed, by error.type.
 */
class ExportCounter {
  private counter: Counter | undefined;
  private readonly ok: Attributes;
  private readonly failedAttrs = new Map<string, Attributes>();

  constructor(
    private readonly definition: { name: string; unit: string; description: string },
    componentType: string,
  ) {
    this.ok = { [ATTR_OTEL_COMPONENT_TYPE]: componentType, [ATTR_OTEL_COMPONENT_NAME]: `${componentType}/0` };
  }

  count(items: number, result: ExportResult): void {
    // Looked up lazily: the meter provider is registered after the exporters are built.
    this.counter ??= metrics.getMeter(SCOPE_NAME).createCounter(this.definition.name, { unit: this.definition.unit, description: this.definition.description });
    if (result.code === ExportResultCode.SUCCESS) {
      this.counter.add(items, this.ok);
      return;
    }
    const type = (result.error as { code?: string } | undefined)?.code ?? result.error?.name ?? 'export_failed';
    let attrs = this.failedAttrs.get(type);
    if (!attrs) {
      attrs = { ...this.ok, [ATTR_ERROR_TYPE]: type };
      if (this.failedAttrs.size < 16) this.failedAttrs.set(type, attrs);
    }
    this.counter.add(items, attrs);
  }
}

function redactAttributes(redactor: Redactor, attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) out[key] = redactor.value(key, value) as Attributes[string];
  return out;
}

/**
 * A view of the span with secrets masked: its own fields are read through the
 * prototype, only attributes, events, links and the status message are replaced.
 */
function redactSpan(redactor: Redactor, span: ReadableSpan): ReadableSpan {
  return Object.create(span, {
    attributes: { value: redactAttributes(redactor, span.attributes), enumerable: true },
    events: {
      value: span.events.map((event) => ({ ...event, attributes: event.attributes ? redactAttributes(redactor, event.attributes) : event.attributes })),
      enumerable: true,
    },
    links: {
      value: span.links.map((link) => ({ ...link, attributes: link.attributes ? redactAttributes(redactor, link.attributes) : link.attributes })),
      enumerable: true,
    },
    status: {
      value: span.status.message === undefined ? span.status : { ...span.status, message: redactor.text(span.status.message) },
      enumerable: true,
    },
  }) as ReadableSpan;
}

function redactLog(redactor: Redactor, record: ReadableLogRecord): ReadableLogRecord {
  const body = record.body;
  return Object.create(record, {
    attributes: { value: redactAttributes(redactor, record.attributes as Attributes), enumerable: true },
    body: { value: typeof body === 'string' ? redactor.text(body) : body, enumerable: true },
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
