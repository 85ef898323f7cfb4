import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Redactor } from './redact.js';

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
  constructor(
    private readonly inner: SpanExporter,
    private readonly redactor: Redactor,
  ) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map((span) => redactSpan(this.redactor, span)), done);
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
    this.inner.export(records.map((record) => redactLog(this.redactor, record)), done);
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
