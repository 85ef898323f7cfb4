import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../../src/sdk/delivery/ProtoWriter.js';
import { rejectedIn } from '../../../src/sdk/delivery/partialSuccess.js';

/** An Export*ServiceResponse: partial_success { 1 rejected, 2 message }, with fields a newer proto may add around it. */
function response(rejected: number | undefined, message: string | undefined, extra = false): Uint8Array {
  const w = new ProtoWriter(256);
  if (extra) {
    w.tag(7, 0);
    w.uint32(300);
    w.tag(8, 1);
    w.double(1.5);
  }
  w.begin(1);
  if (extra) {
    w.tag(9, 5);
    w.fixed32(7);
    w.stringField(10, 'ignored');
  }
  if (rejected !== undefined) {
    w.tag(1, 0);
    w.int64(rejected);
  }
  w.stringField(2, message);
  w.end();
  return w.finish();
}

const maintained = {
  traces: (body: Uint8Array) =>
    (ProtobufTraceSerializer.deserializeResponse(body) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: string } }).partialSuccess,
  logs: (body: Uint8Array) =>
    (ProtobufLogsSerializer.deserializeResponse(body) as { partialSuccess?: { rejectedLogRecords?: unknown; errorMessage?: string } }).partialSuccess,
};

describe('rejectedIn: the partial success of an OTLP response', () => {
  it('reads protobuf responses as the maintained deserializers do, unknown fields skipped', () => {
    for (const signal of ['traces', 'logs'] as const)
      for (const [rejected, message, extra] of [
        [3, 'too old', false],
        [2 ** 40, 'big', true],
        [0, 'a warning only', false],
        [7, undefined, true],
        [undefined, 'ünïcode message', false],
      ] as const) {
        const body = response(rejected, message, extra);
        const theirs = maintained[signal](body) as { rejectedSpans?: unknown; rejectedLogRecords?: unknown; errorMessage?: string };
        const theirCount = Number(String(signal === 'traces' ? (theirs.rejectedSpans ?? 0) : (theirs.rejectedLogRecords ?? 0)));
        expect(rejectedIn(signal, body, 'protobuf')).toEqual({ count: theirCount, message: theirs.errorMessage ?? '' });
        expect(theirCount).toBe(rejected ?? 0);
      }
  });

  it('an empty response (full success) has no partial success', () => {
    expect(rejectedIn('traces', new Uint8Array(0), 'protobuf')).toBeUndefined();
    expect(rejectedIn('logs', new Uint8Array(0), 'json')).toBeUndefined();
    expect(rejectedIn('logs', new TextEncoder().encode('{}'), 'json')).toBeUndefined();
  });

  it('a negative count reads as 0; a truncated or malformed body as undefined, without throwing', () => {
    expect(rejectedIn('traces', response(-5, 'negative'), 'protobuf')).toEqual({ count: 0, message: 'negative' });
    const whole = response(3, 'cut here');
    for (let n = 1; n < whole.length; n++) expect(rejectedIn('traces', whole.subarray(0, n), 'protobuf')).toBeUndefined();
    expect(rejectedIn('traces', Uint8Array.of(0x0f), 'protobuf')).toBeUndefined();
    expect(rejectedIn('traces', Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 'protobuf')).toBeUndefined();
    expect(rejectedIn('traces', new TextEncoder().encode('{"partialSuccess":'), 'json')).toBeUndefined();
    expect(rejectedIn('traces', new TextEncoder().encode('null'), 'json')).toBeUndefined();
  });

  it('reads JSON responses: counts as strings (int64 in JSON) or numbers', () => {
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    expect(rejectedIn('traces', json({ partialSuccess: { rejectedSpans: '4', errorMessage: 'why' } }), 'json')).toEqual({ count: 4, message: 'why' });
    expect(rejectedIn('logs', json({ partialSuccess: { rejectedLogRecords: 2 } }), 'json')).toEqual({ count: 2, message: '' });
    expect(rejectedIn('logs', json({ partialSuccess: { rejectedSpans: 9 } }), 'json')).toEqual({ count: 0, message: '' });
    expect(rejectedIn('traces', json({ partialSuccess: { rejectedSpans: 'many', errorMessage: 5 } }), 'json')).toEqual({ count: 0, message: '' });
  });
});
