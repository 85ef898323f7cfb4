/**
 * The partial success in an OTLP export response: how many records the
 * endpoint rejected, and why. Read here, in a few lines, rather than with the
 * maintained deserializers: those load the generated protobuf root, which the
 * export worker would otherwise load at its start, while the app's first
 * records are being made.
 */
import { walkFields } from './protobufFields.js';

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
  let found: Rejected | undefined;
  const ok = walkFields(body, 0, body.length, (field, wire, _value, from, to) => {
    if (field !== 1 || wire !== 2) return true;
    found = readPartial(body, from, to);
    return found !== undefined;
  });
  return ok ? found : undefined;
}

/** PartialSuccess: 1 rejected count (int64; a negative one reads as 0), 2 error message. */
function readPartial(body: Uint8Array, start: number, end: number): Rejected | undefined {
  let count = 0;
  let message = '';
  const ok = walkFields(body, start, end, (field, wire, value, from, to) => {
    if (field === 1 && wire === 0) count = value >= 2 ** 63 ? 0 : value;
    else if (field === 2 && wire === 2) message = Buffer.from(body.buffer, body.byteOffset + from, to - from).toString('utf8');
    return true;
  });
  return ok ? { count, message } : undefined;
}
