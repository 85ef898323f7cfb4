/**
 * A protobuf writer into one growing buffer that is kept between requests (no
 * allocation per request but the final copy). Nested messages are written in
 * one pass: a length prefix is reserved, the message written, and the prefix
 * filled in, the message moved only when its length needs another byte count
 * than was reserved.
 */
/**
 * Byte values of hex digit pairs, by the two character codes (7 bits each): one load a byte.
 * '0'-'9', 'a'-'f', 'A'-'F'; anything else counts 0 (ids come from the SDK, already checked).
 */
const HEX_PAIRS = new Uint8Array(1 << 14);
{
  const digit = new Uint8Array(128);
  for (let i = 0; i < 10; i++) digit[0x30 + i] = i;
  for (let i = 0; i < 6; i++) digit[0x61 + i] = digit[0x41 + i] = 10 + i;
  for (let high = 0; high < 128; high++) for (let low = 0; low < 128; low++) HEX_PAIRS[(high << 7) | low] = (digit[high]! << 4) | digit[low]!;
}

/** A varint's length in bytes for a 32-bit value, by its count of leading zero bits (0-32). */
const VARINT_SIZE = new Uint8Array(33);
for (let zeros = 0; zeros <= 32; zeros++) VARINT_SIZE[zeros] = Math.max(1, Math.ceil((32 - zeros) / 7));

export class ProtoWriter {
  buf: Buffer;
  pos = 0;
  private view: DataView;
  /** Where each open message's reserved length prefix starts, and how many bytes were reserved (messages nest a few deep). */
  private readonly starts = new Int32Array(128);
  private readonly reserved = new Uint8Array(128);
  private depth = 0;

  constructor(size = 1 << 20) {
    this.buf = Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  reset(): void {
    this.rewind(0);
  }

  /** Back to `pos`, a point between top-level messages: what was written after it is dropped (a record that failed half-way). */
  rewind(pos: number): void {
    this.pos = pos;
    this.depth = 0;
  }

  /** The bytes written, in a buffer of their own (so it can be transferred to another thread). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }

  /** A varint below 2^31 (tags, lengths, enums, small counts). */
  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.uint32((field << 3) | wire);
  }

  /** A varint field, left out when zero or absent (proto3's default). */
  varintField(field: number, value: number | undefined): void {
    if (!value) return;
    this.tag(field, 0);
    this.uint32(value);
  }

  /** A fixed64 time field (nanoseconds since the epoch) from an HrTime. */
  timeField(field: number, time: readonly [number, number]): void {
    this.tag(field, 1);
    this.hrTime(time);
  }

  /** A string field, left out when empty or absent. */
  stringField(field: number, value: string | undefined): void {
    if (!value) return;
    this.tag(field, 2);
    this.string(value);
  }

  /** An int64 varint (negative: ten bytes, two's complement); beyond ±2^63 it is clamped. */
  int64(value: number): void {
    if (value >= 0 && value <= 0x7fffffff) {
      this.uint32(value);
      return;
    }
    this.ensure(10);
    let v = BigInt.asUintN(64, BigInt(Math.max(-(2 ** 63), Math.min(value, 2 ** 63 - 1))));
    const buf = this.buf;
    while (v > 0x7fn) {
      buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.pos++] = Number(v);
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  /**
   * Nanoseconds since the epoch from an HrTime, exactly (the sum exceeds 2^53), as two 32-bit
   * halves. Computed whole every time: a branch taken once a second (a cached seconds value) is
   * one the optimised encoder has not seen, and taking it throws that code away (and the span
   * writer it is inlined in) to be compiled again while the app runs.
   */
  hrTime(time: readonly [number, number]): void {
    this.ensure(8);
    const seconds = time[0];
    const high16 = Math.floor(seconds / 65536);
    const a = high16 * 1e9; // < 2^46
    const aHigh = Math.floor(a / 65536);
    // Every term below 2^47, so the sum is exact.
    const sum = (a - aHigh * 65536) * 65536 + (seconds - high16 * 65536) * 1e9 + time[1];
    const carry = Math.floor(sum / 4294967296);
    this.view.setUint32(this.pos, sum - carry * 4294967296, true);
    this.view.setUint32(this.pos + 4, aHigh + carry, true);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A string field's bytes (UTF-8), length first. */
  string(value: string): void {
    const n = value.length;
    if (n < 128) {
      // Short text is mostly ASCII: written here, one byte a character, and redone as UTF-8 if it is not.
      this.ensure(n + 1);
      const buf = this.buf;
      const start = this.pos;
      buf[start] = n;
      let p = start + 1;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          this.pos = start;
          this.utf8(value);
          return;
        }
        buf[p++] = c;
      }
      this.pos = p;
      return;
    }
    this.utf8(value);
  }

  private utf8(value: string): void {
    const n = Buffer.byteLength(value, 'utf8');
    this.uint32(n);
    this.ensure(n);
    this.buf.write(value, this.pos, n, 'utf8');
    this.pos += n;
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** A trace or span id given as hex, written as its bytes (16 or 8: one length byte). */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.ensure(n + 1);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = n;
    for (let i = 0; i < 2 * n; i += 2) buf[p++] = HEX_PAIRS[((hex.charCodeAt(i) & 0x7f) << 7) | (hex.charCodeAt(i + 1) & 0x7f)]!;
    this.pos = p;
  }

  /** Opens a nested message (its tag written); `reserve` bytes are kept for its length, the usual count for its size. */
  begin(field: number, reserve = 1): void {
    this.tag(field, 2);
    this.ensure(reserve);
    this.starts[this.depth] = this.pos;
    this.reserved[this.depth++] = reserve;
    this.pos += reserve;
  }

  end(): void {
    const start = this.starts[--this.depth]!;
    const reserve = this.reserved[this.depth]!;
    const length = this.pos - start - reserve;
    // By table, not by comparisons: the optimised code saw small records only, and the first
    // request's envelope (a long message) would take a comparison it never made.
    const size = VARINT_SIZE[Math.clz32(length)]!;
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(start + size, start + reserve, this.pos);
      this.pos += size - reserve;
    }
    // Byte by byte, the same operations for one byte as for five (see above).
    const buf = this.buf;
    let v = length;
    let p = start;
    let left = size;
    do {
      left = left - 1;
      buf[p] = (v & 0x7f) | (left > 0 ? 0x80 : 0);
      p = p + 1;
      v = v >>> 7;
    } while (left > 0);
  }

  /** Bytes written elsewhere (a cached message), as they are. */
  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }
}
