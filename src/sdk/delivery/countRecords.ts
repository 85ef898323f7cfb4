import { walkFields } from './protobufFields.js';

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
  const ok = messages(body, 0, body.length, (field, start, end) => {
    if (field !== 1) return true;
    return messages(body, start, end, (field2, start2, end2) => {
      if (field2 !== 2) return true;
      return messages(body, start2, end2, (field3) => {
        if (field3 === 2) n++;
        return true;
      });
    });
  });
  return ok ? n : undefined;
}

/** The length-delimited fields of one message; false if it is malformed (field number 0 included). */
function messages(body: Uint8Array, start: number, end: number, onMessage: (field: number, start: number, end: number) => boolean): boolean {
  return walkFields(body, start, end, (field, wire, _value, from, to) => field !== 0 && (wire !== 2 || onMessage(field, from, to)));
}
