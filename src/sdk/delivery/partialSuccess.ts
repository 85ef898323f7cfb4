/**
 * The partial success in an OTLP export response: how many records the
 * endpoint rejected, and why. Read here, in a few lines, rather than with the
 * maintained deserializers: those load the generated protobuf root, which the
 * export worker would otherwise load at its start, while the app's first
 * records are being made.
 */

export interface Rejected {
  readonly count: number;
  readonly message: string;
}

/**
 * Export{Trace,Logs}ServiceResponse: 1 partial_success { 1 rejected_spans or
 * rejected_log_records (int64), 2 error_message }. Undefined when there is no
 * partial success or the body cannot be read.
 */
export function rejectedIn(signal: 'traces' | 'logs', body: Uint8Array, encoding: 'protobuf' | 'json'): Rejected | undefined {
  try {
    return encoding === 'json' ? fromJson(signal, body) : fromProtobuf(body);
  } catch {
    return undefined;
  }
}

function fromJson(signal: 'traces' | 'logs', body: Uint8Array): Rejected | undefined {
  if (body.length === 0) return undefined;
  const partial = (JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8')) as { partialSuccess?: unknown } | null)
    ?.partialSuccess as { rejectedSpans?: unknown; rejectedLogRecords?: unknown; errorMessage?: unknown } | undefined;
  if (typeof partial !== 'object' || partial === null) return undefined;
  const rejected = signal === 'traces' ? partial.rejectedSpans : partial.rejectedLogRecords;
  const count = Number(rejected ?? 0);
  return { count: Number.isFinite(count) ? count : 0, message: typeof partial.errorMessage === 'string' ? partial.errorMessage : '' };
}

function fromProtobuf(body: Uint8Array): Rejected | undefined {
  const reader = new Reader(body, 0, body.length);
  let found: Rejected | undefined;
  while (reader.more()) {
    const key = reader.varint();
    if (key === 0x0a) {
      const length = reader.varint();
      found = readPartial(new Reader(body, reader.at, reader.at + length));
      reader.skip(length);
    } else reader.skipField(key);
  }
  return found;
}

function readPartial(reader: Reader): Rejected {
  let count = 0;
  let message = '';
  while (reader.more()) {
    const key = reader.varint();
    if (key === 0x08) count = reader.int64();
    else if (key === 0x12) {
      const length = reader.varint();
      message = Buffer.from(reader.bytes.buffer, reader.bytes.byteOffset + reader.at, length).toString('utf8');
      reader.skip(length);
    } else reader.skipField(key);
  }
  return { count, message };
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
    private readonly end: number,
  ) {
    if (end > bytes.length || end < at) throw new RangeError('truncated');
  }

  more(): boolean {
    return this.at < this.end;
  }

  /** A varint as a number (exact below 2^53). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new RangeError('truncated');
      const byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new RangeError('varint too long');
  }

  /** An int64 count: a negative one (ten bytes, two's complement) reads as 0. */
  int64(): number {
    const value = this.varint();
    return value >= 2 ** 63 ? 0 : value;
  }

  skip(length: number): void {
    if (this.at + length > this.end) throw new RangeError('truncated');
    this.at += length;
  }

  skipField(key: number): void {
    const wire = key % 8;
    if (wire === 0) this.varint();
    else if (wire === 1) this.skip(8);
    else if (wire === 2) this.skip(this.varint());
    else if (wire === 5) this.skip(4);
    else throw new RangeError(`wire type ${wire}`);
  }
}
