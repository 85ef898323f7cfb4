import { describe, expect, it } from 'vitest';
import { classifyError, parseRetryAfter, statusOf } from '../../../src/core/errors.js';

const NOW = Date.parse('2026-11-23T10:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 1.5 ', NOW)).toBe(1500);
    expect(parseRetryAfter(3, NOW)).toBe(3000);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', NOW)).toBe(0);
  });

  it('rejects garbage', () => {
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter(-1, NOW)).toBeUndefined();
    expect(parseRetryAfter(Number.NaN, NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe('classifyError: rate limits on every error shape', () => {
  it('fetch Response with a Headers object', () => {
    const response = new Response('slow down', { status: 429, headers: { 'Retry-After': '7' } });
    const info = classifyError(response, { nowMs: NOW });
    expect(info).toMatchObject({ status: 429, rateLimited: true, retryAfterMs: 7000, errorType: '429' });
  });

  it('axios-shaped error: response.status and plain header object', () => {
    const error = Object.assign(new Error('Request failed with status code 429'), {
      isAxiosError: true,
      response: { status: 429, headers: { 'retry-after': 'Mon, 23 Nov 2026 10:01:00 GMT' } },
    });
    const info = classifyError(error, { nowMs: NOW });
    expect(info).toMatchObject({ status: 429, rateLimited: true, retryAfterMs: 60_000 });
  });

  it('got-shaped error: response.statusCode, header arrays', () => {
    class HTTPError extends Error {}
    const error = Object.assign(new HTTPError('Response code 429'), { response: { statusCode: 429, headers: { 'retry-after': ['3'] } } });
    const info = classifyError(error, { nowMs: NOW });
    expect(info).toMatchObject({ status: 429, rateLimited: true, retryAfterMs: 3000, exceptionType: 'HTTPError' });
  });

  it('undici-shaped error: statusCode and headers on the error', () => {
    class ResponseStatusCodeError extends Error {}
    const error = Object.assign(new ResponseStatusCodeError('Response status code 429'), { statusCode: 429, headers: { 'Retry-After': '2' } });
    expect(classifyError(error, { nowMs: NOW })).toMatchObject({ status: 429, rateLimited: true, retryAfterMs: 2000 });
  });

  it('SDK-shaped error with status and a Headers instance', () => {
    const error = Object.assign(new Error('Too many requests'), { status: 429, headers: new Headers({ 'retry-after': '11' }) });
    expect(classifyError(error, { nowMs: NOW })).toMatchObject({ rateLimited: true, retryAfterMs: 11_000 });
  });

  it('explicit status argument, as seed 000 passes it', () => {
    const info = classifyError(new Error('nope'), { status: 429, nowMs: NOW });
    expect(info).toMatchObject({ status: 429, rateLimited: true, retryAfterMs: undefined });
  });

  it('a 429 without Retry-After is still a rate limit', () => {
    expect(classifyError({ status: 429 }, { nowMs: NOW })).toMatchObject({ rateLimited: true, retryAfterMs: undefined });
  });
});

describe('classifyError: error.type stays low-cardinality', () => {
  it('caller type wins, then HTTP status, then exception class', () => {
    expect(classifyError(new Error('x'), { status: 503, type: 'ProcessingError', nowMs: NOW }).errorType).toBe('ProcessingError');
    expect(classifyError(new Error('x'), { status: 503, nowMs: NOW }).errorType).toBe('503');
    expect(classifyError(new TypeError('x'), { nowMs: NOW }).errorType).toBe('TypeError');
    class ValidationError extends Error {}
    expect(classifyError(new ValidationError('x'), { nowMs: NOW }).errorType).toBe('ValidationError');
  });

  it('non-errors fall back to _OTHER and keep a message', () => {
    expect(classifyError('boom', { nowMs: NOW })).toMatchObject({ errorType: '_OTHER', message: 'boom' });
    expect(classifyError(undefined, { nowMs: NOW }).errorType).toBe('_OTHER');
    expect(classifyError({ message: 'obj' }, { nowMs: NOW })).toMatchObject({ errorType: '_OTHER', message: 'obj' });
  });

  it('2xx and garbage statuses are not statuses', () => {
    expect(statusOf({ status: 'abc' })).toBeUndefined();
    expect(statusOf({ status: 42 })).toBeUndefined();
    expect(classifyError(new Error('x'), { status: Number.NaN, nowMs: NOW }).status).toBeUndefined();
  });
});
