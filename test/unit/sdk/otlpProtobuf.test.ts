import { context, SpanKind, SpanStatusCode, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { encodeLogRecords, encodeSpans, writeSpan } from '../../../src/sdk/delivery/otlpProtobuf.js';
import { ProtobufRequestBuilder } from '../../../src/sdk/delivery/ProtobufRequestBuilder.js';

/**
 * Which length-delimited fields are messages, per message type (opentelemetry-proto);
 * the rest are strings or bytes. Enough to decode a request into a comparable tree.
 */
const MESSAGES: Record<string, Record<number, string>> = {
  TraceRequest: { 1: 'ResourceSpans' },
  LogsRequest: { 1: 'ResourceLogs' },
  ResourceSpans: { 1: 'Resource', 2: 'ScopeSpans' },
  ResourceLogs: { 1: 'Resource', 2: 'ScopeLogs' },
  ScopeSpans: { 1: 'Scope', 2: 'Span' },
  ScopeLogs: { 1: 'Scope', 2: 'LogRecord' },
  Resource: { 1: 'KeyValue' },
  Scope: { 3: 'KeyValue' },
  Span: { 9: 'KeyValue', 11: 'Event', 13: 'Link', 15: 'Status' },
  Event: { 3: 'KeyValue' },
  Link: { 4: 'KeyValue' },
  Status: {},
  LogRecord: { 5: 'AnyValue', 6: 'KeyValue' },
  KeyValue: { 2: 'AnyValue' },
  AnyValue: { 5: 'ArrayValue', 6: 'KeyValueList' },
  ArrayValue: { 1: 'AnyValue' },
  KeyValueList: { 1: 'KeyValue' },
};

/** Collects what the providers end, synchronously. */
function collect<T>(): { list: T[]; processor: SpanProcessor & LogRecordProcessor } {
  const list: T[] = [];
  const done = () => Promise.resolve();
  return {
    list,
    processor: { onStart: () => {}, onEnd: (s: unknown) => list.push(s as T), onEmit: (r: unknown) => list.push(r as T), forceFlush: done, shutdown: done },
  };
}

type Tree = Record<number, unknown[]>;

/** Fields by number, each list in order; proto3 defaults (zero, empty) left out, as a reader sees them. */
function decode(body: Uint8Array, type: string, start = 0, end = body.length): Tree {
  const out: Tree = {};
  let i = start;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = body[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  const push = (field: number, value: unknown) => (out[field] ??= []).push(value);
  while (i < end) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (v !== 0n || type === 'AnyValue') push(field, v.toString());
    } else if (wire === 1) {
      push(field, Buffer.from(body.subarray(i, i + 8)).toString('hex'));
      i += 8;
    } else if (wire === 5) {
      push(field, Buffer.from(body.subarray(i, i + 4)).toString('hex'));
      i += 4;
    } else if (wire === 2) {
      const n = Number(varint());
      const nested = MESSAGES[type]![field];
      if (nested) push(field, decode(body, nested, i, i + n));
      else if (n > 0 || type === 'AnyValue') push(field, Buffer.from(body.subarray(i, i + n)).toString('hex'));
      i += n;
    } else throw new Error(`wire type ${wire}`);
  }
  expect(i).toBe(end);
  return out;
}

describe('the direct OTLP protobuf encoder', () => {
  it('writes the same spans the maintained serializer writes, field for field', () => {
    const finished = collect<ReadableSpan>();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'enc', 'deployment.environment': 'tést' }),
      spanProcessors: [finished.processor],
    });
    const tracer = provider.getTracer('scope-a', '1.2.3');
    const other = provider.getTracer('scope-b');
    const parent = tracer.startSpan('parent ✓', { kind: SpanKind.SERVER, attributes: { 'n.int': 42, 'n.neg': -7, 'n.big': 2 ** 40, 'n.dbl': 1.5, ok: true } });
    const child = tracer.startSpan('child', { attributes: { list: ['a', 'b'], nums: [1, 2.5], long: 'x'.repeat(300) } }, within(parent));
    child.addEvent('retry', { attempt: 2, reason: 'ünïcode' });
    child.addLink({ context: parent.spanContext(), attributes: { why: 'link' } });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end();
    parent.end();
    other.startSpan('plain').end();
    const spans = finished.list;
    expect(spans.length).toBe(3);
    const mine = encodeSpans(spans);
    const theirs = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(decode(mine, 'TraceRequest')).toEqual(decode(theirs, 'TraceRequest'));
    // A buffer of its own: safe to transfer to another thread.
    expect(mine.byteOffset).toBe(0);
    expect(mine.buffer.byteLength).toBe(mine.length);
  });

  it('writes large requests (lengths of several bytes) the same way', () => {
    const finished = collect<ReadableSpan>();
    const provider = new TracerProvider({ spanProcessors: [finished.processor] });
    const tracer = provider.getTracer('bulk');
    for (let i = 0; i < 3000; i++) tracer.startSpan(`record ${i}`, { attributes: { seq: i, text: 'y'.repeat(i % 200) } }).end();
    const spans = finished.list;
    expect(spans.length).toBe(3000);
    expect(decode(encodeSpans(spans), 'TraceRequest')).toEqual(decode(ProtobufTraceSerializer.serializeRequest(spans)!, 'TraceRequest'));
    // Comparing two decoded trees of 3,000 spans takes seconds on a loaded 2-core machine.
  }, 30_000);

  it('records of several resources and scopes, interleaved as they arrive, are grouped as the maintained serializer groups them', () => {
    const finished = collect<ReadableSpan>();
    const one = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'one' }), spanProcessors: [finished.processor] });
    const two = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'two' }), spanProcessors: [finished.processor] });
    const tracers = [one.getTracer('a'), one.getTracer('b', '2'), two.getTracer('a'), one.getTracer('a')];
    for (let i = 0; i < 12; i++) tracers[i % tracers.length]!.startSpan(`span ${i}`, { attributes: { i } }).end();
    const spans = finished.list;
    const builder = new ProtobufRequestBuilder(writeSpan);
    for (const span of spans) expect(builder.add(span)).toBe(true);
    expect(builder.records).toBe(12);
    const tree = decode(builder.take(), 'TraceRequest');
    expect(tree).toEqual(decode(ProtobufTraceSerializer.serializeRequest(spans)!, 'TraceRequest'));
    // Two resources; the first holds scopes a and b (a's spans from two tracer objects in one group).
    expect(tree[1]).toHaveLength(2);
    expect((tree[1]![0] as Tree)[2]).toHaveLength(2);
  });

  it('a request with as many scopes as records (a tracer per task) is encoded whole', () => {
    const finished = collect<ReadableSpan>();
    const provider = new TracerProvider({ spanProcessors: [finished.processor] });
    for (let i = 0; i < 400; i++)
      provider
        .getTracer(`task-${i % 200}`, String(i % 3))
        .startSpan(`span ${i}`, { attributes: { i, text: 'z'.repeat(i % 50) } })
        .end();
    const spans = finished.list;
    const builder = new ProtobufRequestBuilder(writeSpan);
    for (const span of spans) builder.add(span);
    const tree = decode(builder.take(), 'TraceRequest');
    expect(tree).toEqual(decode(ProtobufTraceSerializer.serializeRequest(spans)!, 'TraceRequest'));
    expect((tree[1]![0] as Tree)[2]).toHaveLength(400);
  });

  it('a record that fails half-way leaves nothing behind; the builder is empty after take and builds the next request alone', () => {
    const finished = collect<ReadableSpan>();
    const tracer = new TracerProvider({ spanProcessors: [finished.processor] }).getTracer('s');
    for (let i = 0; i < 3; i++) tracer.startSpan(`span ${i}`, { attributes: { i } }).end();
    const [a, b, c] = finished.list as [ReadableSpan, ReadableSpan, ReadableSpan];
    // Its attributes throw once the ids, name and times are written.
    const failing = Object.create(b, {
      attributes: {
        value: {
          ok: 1,
          get boom(): never {
            throw new Error('getter');
          },
        },
        enumerable: true,
      },
    }) as ReadableSpan;
    const builder = new ProtobufRequestBuilder(writeSpan);
    expect(builder.add(a)).toBe(true);
    const before = builder.bytes;
    expect(builder.add(failing)).toBe(false);
    expect(builder.bytes).toBe(before);
    expect(builder.add(c)).toBe(true);
    expect(decode(builder.take(), 'TraceRequest')).toEqual(decode(ProtobufTraceSerializer.serializeRequest([a, c])!, 'TraceRequest'));
    expect(builder.records).toBe(0);
    expect(builder.bytes).toBe(0);
    builder.add(b);
    expect(decode(builder.take(), 'TraceRequest')).toEqual(decode(ProtobufTraceSerializer.serializeRequest([b])!, 'TraceRequest'));
  });

  it('writes the same log records the maintained serializer writes, structured bodies included', () => {
    const finished = collect<ReadableLogRecord>();
    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'enc' }), processors: [finished.processor] });
    const logger = provider.getLogger('scope-l', '0.1');
    logger.emit({ body: 'plain text', severityNumber: SeverityNumber.INFO, severityText: 'INFO', attributes: { a: 1 } });
    logger.emit({ body: { nested: { list: [1, 'two', false, null], bytes: new Uint8Array([1, 2, 3]) }, n: -3.25 }, eventName: 'batch.chunk' });
    logger.emit({ body: 12, attributes: { flag: true } });
    logger.emit({
      body: undefined,
      context: within({ spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED }) }),
    });
    const records = finished.list;
    expect(records.length).toBe(4);
    expect(decode(encodeLogRecords(records), 'LogsRequest')).toEqual(decode(ProtobufLogsSerializer.serializeRequest(records)!, 'LogsRequest'));
  });
});

function within(span: { spanContext: () => SpanContext }) {
  return trace.setSpanContext(context.active(), span.spanContext());
}
