import { clampWait } from '../core/clock.js';
import { isConnectionFailure, type ErrorInfo } from '../core/errors.js';
import { ERROR_TYPE_VALUES } from '../semconv.js';

/** Which failed chunks `process()` tries again, and how long it waits first. */

/** The caller's `retryOn` when given (one that throws says no), else: rate limits, 5xx, 408, timeouts and network errors, never other 4xx. */
export function shouldRetry(error: unknown, info: ErrorInfo, retryOn: ((error: unknown) => boolean) | undefined): boolean {
  if (retryOn) {
    try {
      return retryOn(error);
    } catch {
      return false;
    }
  }
  if (info.rateLimited) return true;
  if (info.status !== undefined) return info.status >= 500 || info.status === 408;
  if (info.errorType === ERROR_TYPE_VALUES.cancelled) return false;
  const text = `${info.exceptionType} ${info.message}`;
  return isConnectionFailure(text) || /timeout|network/i.test(text);
}

/**
 * The wait before the next attempt after `attempt` failed: full jitter over an
 * exponential backoff spreads retries of concurrent chunks; Retry-After is a floor;
 * MAX_WAIT_MS the ceiling.
 */
export function retryWaitMs(retry: { readonly baseDelayMs: number; readonly maxDelayMs: number }, attempt: number, retryAfterMs: number | undefined): number {
  const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return clampWait(Math.max(retryAfterMs ?? 0, Math.random() * backoff));
}
