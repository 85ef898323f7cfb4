/**
 * How many spans or log records an OTLP export request holds, read from the
 * request itself (a file's name can say anything). Undefined when it is not
 * a whole, valid request: cut short, another format, or empty.
 */
export function countRecords(body: Uint8Array, encoding: 'protobuf' | 'json', signal: 'traces' | 'logs'): number | undefined {
  try {
    const n = encoding === 'json' ? countJson(body, signal) : countProtobuf(body);
    return n !== undefined && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function countJson(body: Uint8Array, signal: 'traces' | 'logs'): number | undefined {
  const [resources, scopes, records] = signal === 'traces' ? ['resourceSpans', 'scopeSpans', 'spans'] : ['resourceLogs', 'scopeLogs', 'logRecords'];
  const request = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as Record<string, unknown>;
  const list = (value: unknown): unknown[] | undefined => (value === undefined ? [] : Array.isArray(value) ? value : undefined);
  let n = 0;
  for (const resource of list(request[resources]) ?? []) {
    for (const scope of list((resource as Record<string, unknown>)[scopes]) ?? []) {
      const items = list((scope as Record<string, unknown>)[records]);
      if (!items) return undefined;
      n += items.length;
    }
  }
  return n;
}

/**
 * Both ExportTraceServiceRequest and ExportLogsServiceRequest are
 * `1: repeated Resource{Spans,Logs} { 2: repeated Scope{Spans,Logs} { 2: repeated record } }`:
 * counting field 2 of field 2 of field 1 walks only the envelope, never a record's bytes.
 */
function countProtobuf(body: Uint8Array): number | undefined {
  let n = 0;
  const ok = fields(body, 0, body.length, (field, start, end) => {
    if (field !== 1) return true;
    return fields(body, start, end, (field2, start2, end2) => {
      if (field2 !== 2) return true;
      return fields(body, start2, end2, (field3) => {
        if (field3 === 2) n++;
        return true;
      });
    });
  });
  return ok ? n : undefined;
}

/** Walks the fields of one message in body[start, end); `onMessage` gets each length-delimited field. False if malformed. */
function fields(body: Uint8Array, start: number, end: number, onMessage: (field: number, start: number, end: number) => boolean): boolean {
  let i = start;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (i >= end) return undefined;
      const byte = body[i++]!;
      if (shift < 49) value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (i < end) {
    const tag = varint();
    if (tag === undefined) return false;
    const field = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0:
        if (varint() === undefined) return false;
        break;
      case 1:
        i += 8;
        break;
      case 5:
        i += 4;
        break;
      case 2: {
        const length = varint();
        if (length === undefined || i + length > end) return false;
        if (!onMessage(field, i, i + length)) return false;
        i += length;
        break;
      }
      default:
        return false;
    }
    if (field === 0 || i > end) return false;
  }
  return true;
}
