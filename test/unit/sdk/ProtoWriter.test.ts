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
});
