/**
 * Walks the fields of one protobuf message in body[start, end), for the few
 * places that read OTLP bytes without the generated code (record counts,
 * partial-success responses). `onField` gets each field's number and wire
 * type, a varint's value, and a length-delimited field's bytes as [from, to).
 * False when the message is cut short or has an unknown wire type, or when
 * `onField` returns false.
 */
export function walkFields(
  body: Uint8Array,
  start: number,
  end: number,
  onField: (field: number, wire: number, value: number, from: number, to: number) => boolean,
): boolean {
  let i = start;
  // Exact below 2^53; a negative int64 (ten bytes, two's complement) reads at or above 2^63.
  const varint = (): number | undefined => {
    let value = 0;
    let scale = 1;
    for (let n = 0; n < 10; n++) {
      if (i >= end) return undefined;
      const byte = body[i++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    return undefined;
  };
  while (i < end) {
    const tag = varint();
    if (tag === undefined) return false;
    const wire = tag % 8;
    let value = 0;
    let from = i;
    switch (wire) {
      case 0: {
        const v = varint();
        if (v === undefined) return false;
        value = v;
        break;
      }
      case 1:
        i += 8;
        break;
      case 5:
        i += 4;
        break;
      case 2: {
        const length = varint();
        if (length === undefined || i + length > end) return false;
        from = i;
        i += length;
        break;
      }
      default:
        return false;
    }
    if (i > end || !onField(Math.floor(tag / 8), wire, value, from, i)) return false;
  }
  return true;
}
