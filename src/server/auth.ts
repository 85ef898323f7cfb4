import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';

/**
 * `token` may do everything; `readToken` (optional) may only read (GET), so a
 * wall display can watch without being able to cancel or start runs.
 * `{ disabled: true }` is for loopback-only use: requests from other addresses get 403.
 */
export type AuthOptions = { readonly token: string; readonly readToken?: string } | { readonly disabled: true };

export type Access = 'none' | 'read' | 'write';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time comparison of two secrets of any length (compares their hashes). */
export function safeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Checks a request against the access a route needs.
 * 401: no credentials, or credentials that are not a token we know.
 * 403: a known token without the right (read-only token on a write route),
 * or any request from a non-loopback address when auth is disabled.
 * `allowQueryToken` accepts `?access_token=` (only the SSE route: EventSource cannot set headers).
 */
export function authorize(req: IncomingMessage, url: URL, auth: AuthOptions, need: Access, allowQueryToken: boolean): void {
  if (need === 'none') return;
  if ('disabled' in auth) {
    if (!isLoopback(req.socket.remoteAddress)) {
      throw new HttpError(403, 'auth is disabled, so only loopback clients are served', [
        { path: 'request', message: `client ${req.socket.remoteAddress ?? 'unknown'} is not on loopback`, code: 'forbidden' },
      ]);
    }
    return;
  }
  let token: string | undefined;
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('the Authorization header must be `Bearer <token>`', 'invalid_request');
    token = match[1];
  } else if (allowQueryToken) {
    token = url.searchParams.get('access_token') ?? undefined;
  }
  if (token === undefined) throw unauthorized('authentication required: send `Authorization: Bearer <token>`', 'missing_token');
  const write = safeEqual(token, auth.token);
  const read = auth.readToken !== undefined && safeEqual(token, auth.readToken);
  if (!write && !read) throw unauthorized('invalid token', 'invalid_token');
  if (need === 'write' && !write) {
    throw new HttpError(403, 'this token may only read', [{ path: 'authorization', message: 'a read-only token cannot change runs', code: 'insufficient_scope' }]);
  }
}

function unauthorized(message: string, code: string): HttpError {
  return new HttpError(401, message, [{ path: 'authorization', message, code }], {
    'www-authenticate': `Bearer realm="batchtel", error="${code === 'missing_token' ? 'invalid_request' : code}"`,
  });
}
