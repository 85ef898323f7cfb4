import { ERROR_TYPE_VALUES } from '../semconv.js';
import { MAX_WAIT_MS } from './clock.js';
import { isObject } from './check.js';
import { LIMITS, safeText } from './limits.js';

/** What the tracker needs to know about a failure, whatever shape it came in. */
export interface ErrorInfo {
  /** Low-cardinality `error.type`: caller's type, else HTTP status, else exception class. */
  readonly errorType: string;
  readonly exceptionType: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly status: number | undefined;
  readonly rateLimited: boolean;
  /** Wait the server asked for, when it sent Retry-After. */
  readonly retryAfterMs: number | undefined;
}

type HeaderSource = { get(name: string): string | null } | Record<string, unknown>;

const asStatus = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
};

/**
 * Finds an HTTP status on a fetch `Response`, or on axios- (`response.status`),
 * got- (`response.statusCode`), undici- (`statusCode`) and SDK-shaped errors
 * (`status`).
 */
export function statusOf(source: unknown): number | undefined {
  if (!isObject(source)) return undefined;
  const response = source['response'];
  return (
    asStatus(source['status']) ??
    asStatus(source['statusCode']) ??
    (isObject(response) ? (asStatus(response['status']) ?? asStatus(response['statusCode'])) : undefined)
  );
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isObject(headers)) return undefined;
  const source = headers as HeaderSource;
  if (typeof (source as { get?: unknown }).get === 'function') {
    const value = (source as { get(name: string): unknown }).get(name);
    return typeof value === 'string' ? value : undefined;
  }
  const record = source as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === name) {
      const value = record[key];
      if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
      return value === undefined || value === null ? undefined : String(value);
    }
  }
  return undefined;
}

function retryAfterHeaderOf(source: unknown): string | undefined {
  if (!isObject(source)) return undefined;
  const response = source['response'];
  return headerValue(source['headers'], 'retry-after') ?? (isObject(response) ? headerValue(response['headers'], 'retry-after') : undefined);
}

/** Node's codes and texts for a peer that cannot be reached or dropped the connection. */
const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE|ETIMEDOUT|socket hang up/i;

/** Whether an error's text (type and message) says the connection failed, not the server. */
export function isConnectionFailure(text: string): boolean {
  return CONNECTION_FAILURE.test(text);
}

/**
 * Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Returns milliseconds to wait, from 0 to MAX_WAIT_MS (one hour: a longer
 * ask is taken as that); undefined when unparseable.
 */
export function parseRetryAfter(value: string | number | undefined | null, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value >= 0 ? Math.min(MAX_WAIT_MS, value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > 64) return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.min(MAX_WAIT_MS, Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(MAX_WAIT_MS, Math.max(0, date - nowMs));
}

function exceptionTypeOf(error: unknown): string {
  if (error instanceof Error) {
    // Subclasses often keep `name = 'Error'`; the constructor name is more telling.
    const ctor = error.constructor?.name;
    if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Error') return ctor;
    return typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
  }
  if (isObject(error) && typeof error['status'] === 'number') return 'Response';
  return typeof error;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return typeof error.message === 'string' ? error.message : 'Error';
  if (typeof error === 'string') return error;
  if (typeof error === 'symbol') return error.toString();
  if (isObject(error) && typeof error['message'] === 'string') return error['message'];
  if (isObject(error) && typeof error['statusText'] === 'string') return `HTTP ${String(error['status'])} ${error['statusText']}`;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
}

/** What `classifyError` knows besides the error: an explicit status or type, and the time (for Retry-After dates). */
export interface ClassifyOptions {
  /** Explicit status, as `trackError(batch, error, fatal, status)` in `createBatchProgress`. */
  readonly status?: number | undefined;
  /** Explicit type, as `trackError(..., type)` in `createBatchProgress`. */
  readonly type?: string | undefined;
  /** Now, in epoch ms: a Retry-After given as a date is measured from it. */
  readonly nowMs: number;
}

/** `read()`, or undefined when it throws: errors come with getters and Proxies that do. */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Never throws, whatever `error` is (a Proxy with throwing traps, throwing
 * getters, a Symbol): each part that cannot be read is left out. Texts are cut
 * to the documented limits.
 *
 * @example
 * ```ts
 * import { classifyError } from 'batchtel';
 *
 * const info = classifyError(Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '2' } }), { nowMs: Date.now() });
 * console.log(info.errorType, info.rateLimited, info.retryAfterMs); // '429' true 2000
 * ```
 */
export function classifyError(error: unknown, options: ClassifyOptions): ErrorInfo {
  const status = asStatus(options.status) ?? attempt(() => statusOf(error));
  const rateLimited = status === 429;
  const retryAfterMs = attempt(() => parseRetryAfter(retryAfterHeaderOf(error), options.nowMs));
  const exceptionType = safeText(attempt(() => exceptionTypeOf(error)) ?? 'object', LIMITS.errorType);
  const explicitType = typeof options.type === 'string' ? safeText(options.type.trim(), LIMITS.errorType) : undefined;
  const errorType =
    explicitType && explicitType.length > 0
      ? explicitType
      : status !== undefined && status >= 400
        ? String(status)
        : exceptionType === 'object' || exceptionType === 'undefined' || exceptionType === 'string'
          ? ERROR_TYPE_VALUES.other
          : exceptionType;
  const stack = attempt(() => (error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined));
  return {
    errorType,
    exceptionType,
    message: safeText(attempt(() => messageOf(error)) ?? 'unprintable error', LIMITS.errorMessage),
    stack: stack === undefined ? undefined : safeText(stack, LIMITS.stack),
    status,
    rateLimited,
    retryAfterMs,
  };
}
