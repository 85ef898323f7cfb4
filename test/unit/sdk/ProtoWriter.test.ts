import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../../src/sdk/delivery/ProtoWriter.js';

/** The fixed64 the writer wrote at `at`, as a bigint. */
const fixed64 = (w: ProtoWriter, at: number) => w.buf.readBigUInt64LE(at);

describe('ProtoWriter', () => {
  it('writes an HrTime as exact nanoseconds since the epoch, for times in the same second and across seconds', () => {
    const w = new ProtoWriter(64);
    // Seconds of today and of far dates, repeated and not; nanoseconds at both ends and in between.
    // At 1,796,275,002 s the low 32 bits of the seconds' nanoseconds are 450,903,040 short of
    // wrapping: adding 450,903,040 ns or more carries into the high half.
    const seconds = [0, 1, 1_796_275_000, 1_796_275_000, 1_796_275_002, 1_796_275_002, 4_294_967_295, 2 ** 33 + 7, 1_796_275_001];
    const nanos = [0, 1, 450_903_039, 450_903_040, 999_999_999, 123_456_789, 500_000_000, 0];
    for (const s of seconds)
      for (const n of nanos) {
        w.reset();
        w.hrTime([s, n]);
        expect(w.pos).toBe(8);
        expect(fixed64(w, 0)).toBe(BigInt(s) * 1_000_000_000n + BigInt(n));
      }
  });

  it('a rewind drops what was written after the mark and closes open messages', () => {
    const w = new ProtoWriter(64);
    w.string('kept');
    const mark = w.pos;
    w.begin(2);
    w.string('dropped');
    w.rewind(mark);
    w.string('next');
    expect(w.finish()).toEqual(new Uint8Array([4, ...Buffer.from('kept'), 4, ...Buffer.from('next')]));
  });

  it('closes a nested message with its length prefix in as many bytes as the length needs, whatever was reserved', () => {
    const readVarint = (buf: Uint8Array, at: number): [number, number] => {
      let value = 0;
      let shift = 0;
      let p = at;
      for (;;) {
        const byte = buf[p++]!;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return [value, p];
        shift += 7;
      }
    };
    for (const reserve of [1, 3])
      for (const length of [0, 1, 127, 128, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21]) {
        const w = new ProtoWriter(16);
        w.begin(2, reserve);
        const body = Buffer.alloc(length, 0x5a);
        if (length > 0) body[length - 1] = 0x33;
        w.raw(body);
        w.end();
        const out = w.finish();
        expect(out[0]).toBe((2 << 3) | 2);
        const [decoded, at] = readVarint(out, 1);
        expect(decoded).toBe(length);
        // The prefix is minimal: its last byte is the varint's end.
        expect(at - 1).toBe(Math.max(1, Math.ceil(length.toString(2).length / 7)));
        expect(out.length).toBe(at + length);
        if (length > 0) expect(out[out.length - 1]).toBe(0x33);
      }
  });
});
