/**
 * ExportTraceServiceRequest and ExportLogsServiceRequest (opentelemetry-proto
 * trace/v1, logs/v1) written straight from the SDK's ReadableSpan and
 * ReadableLogRecord, one record at a time (ProtobufRequestBuilder groups
 * them): no intermediate objects, no size estimate pass.
 */
import type { HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ProtoWriter } from './ProtoWriter.js';
import { writeAnyValue, writeAttributes } from './otlpCommon.js';
import { ProtobufRequestBuilder } from './ProtobufRequestBuilder.js';

/** Span flags: the W3C trace flags, plus whether the parent was remote (and that this is known). */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/**
 * Span: 1 trace_id, 2 span_id, 3 trace_state, 4 parent_span_id, 5 name, 6 kind,
 * 7 start_time_unix_nano, 8 end_time_unix_nano, 9 attributes, 10 dropped_attributes_count,
 * 11 events, 12 dropped_events_count, 13 links, 14 dropped_links_count, 15 status, 16 flags.
 */
export function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  const context = span.spanContext();
  w.begin(2, 2);
  w.tag(1, 2);
  w.hexBytes(context.traceId);
  w.tag(2, 2);
  w.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  w.stringField(3, traceState);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, 2);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, 2);
  w.string(span.name);
  // The API's kinds start at INTERNAL = 0; OTLP keeps 0 for unspecified.
  w.tag(6, 0);
  w.uint32(span.kind + 1);
  w.timeField(7, span.startTime);
  w.timeField(8, span.endTime);
  writeAttributes(w, 9, span.attributes);
  w.varintField(10, span.droppedAttributesCount);
  for (const event of span.events) {
    // Span.Event: 1 time_unix_nano, 2 name, 3 attributes, 4 dropped_attributes_count.
    w.begin(11, 2);
    w.timeField(1, event.time);
    w.tag(2, 2);
    w.string(event.name);
    writeAttributes(w, 3, event.attributes);
    w.varintField(4, event.droppedAttributesCount);
    w.end();
  }
  w.varintField(12, span.droppedEventsCount);
  for (const link of span.links) {
    // Span.Link: 1 trace_id, 2 span_id, 3 trace_state, 4 attributes, 5 dropped_attributes_count, 6 flags.
    w.begin(13, 2);
    w.tag(1, 2);
    w.hexBytes(link.context.traceId);
    w.tag(2, 2);
    w.hexBytes(link.context.spanId);
    const linkState = link.context.traceState?.serialize();
    w.stringField(3, linkState);
    writeAttributes(w, 4, link.attributes);
    w.varintField(5, link.droppedAttributesCount);
    w.tag(6, 5);
    w.fixed32((link.context.traceFlags & 0xff) | HAS_IS_REMOTE | (link.context.isRemote ? IS_REMOTE : 0));
    w.end();
  }
  w.varintField(14, span.droppedLinksCount);
  // Status: 2 message, 3 code (the API's codes are OTLP's). Most spans' is unset: an empty message.
  const status = span.status;
  if (!status.code && !status.message) {
    w.tag(15, 2);
    w.uint32(0);
  } else {
    w.begin(15);
    w.stringField(2, status.message);
    w.varintField(3, status.code);
    w.end();
  }
  w.tag(16, 5);
  w.fixed32((context.traceFlags & 0xff) | HAS_IS_REMOTE | (parent?.isRemote ? IS_REMOTE : 0));
  w.end();
}

/**
 * LogRecord: 1 time_unix_nano, 2 severity_number, 3 severity_text, 5 body, 6 attributes,
 * 7 dropped_attributes_count, 8 flags, 9 trace_id, 10 span_id, 11 observed_time_unix_nano, 12 event_name.
 */
export function writeLogRecord(w: ProtoWriter, record: ReadableLogRecord): void {
  w.begin(2, 2);
  w.timeField(1, record.hrTime as HrTime);
  w.varintField(2, record.severityNumber);
  w.stringField(3, record.severityText);
  if (record.body !== undefined) writeAnyValue(w, 5, record.body, 0);
  writeAttributes(w, 6, record.attributes);
  w.varintField(7, record.droppedAttributesCount);
  const context = record.spanContext;
  if (context) {
    w.tag(8, 5);
    w.fixed32(context.traceFlags);
    w.tag(9, 2);
    w.hexBytes(context.traceId);
    w.tag(10, 2);
    w.hexBytes(context.spanId);
  }
  w.timeField(11, record.hrTimeObserved as HrTime);
  w.stringField(12, record.eventName);
  w.end();
}

/** One ExportTraceServiceRequest of these spans, in a buffer of its own (transferable). */
export function encodeSpans(spans: readonly ReadableSpan[]): Uint8Array {
  const builder = new ProtobufRequestBuilder(writeSpan);
  for (const span of spans) builder.add(span);
  return builder.take();
}

/** One ExportLogsServiceRequest of these log records, in a buffer of its own (transferable). */
export function encodeLogRecords(records: readonly ReadableLogRecord[]): Uint8Array {
  const builder = new ProtobufRequestBuilder(writeLogRecord);
  for (const record of records) builder.add(record);
  return builder.take();
}
