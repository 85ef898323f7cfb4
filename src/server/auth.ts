import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { HttpError } from './HttpError.js';

/**
 * `token` may do everything; `readToken` (optional) may only read (GET), so a
 * wall display can watch without being able to cancel or start runs.
 * `{ disabled: true }` is for loopback-only use: requests from other addresses get 403.
 */
export type AuthOptions = { readonly token: string; readonly readToken?: string } | { readonly disabled: true };

/** What a route needs: no token, the read token (or the write one), or the write token. */
export type Access = 'none' | 'read' | 'write';

const secret = (field: string) =>
  z.string({ error: (issue) => `\`${field}\` must be a string of at least 16 characters, received ${describeSecret(issue.input)}` }).min(16, {
    error: (issue) => `\`${field}\` must be a string of at least 16 characters, received a string of ${String((issue.input as string).length)}`,
  });

const authSchema = z.union([
  z.strictObject({ disabled: z.literal(true) }),
  z
    .strictObject({ token: secret('auth.token'), readToken: secret('auth.readToken').optional() })
    .refine((a) => a.readToken === undefined || a.readToken !== a.token, { error: '`auth.readToken` must differ from `auth.token`, received the same value' }),
]);

/** Checks `auth` at construction; throws one message naming the field, what was expected and what was received. */
export function parseAuth(auth: unknown): AuthOptions {
  if (typeof auth !== 'object' || auth === null) {
    throw new TypeError(
      `batchtel/server: \`auth\` is required: \`{ token: "..." }\`, or \`{ disabled: true }\` for loopback-only use; received ${describeSecret(auth)}`,
    );
  }
  const shape = 'disabled' in auth ? authSchema.options[0] : authSchema.options[1];
  const parsed = shape.safeParse(auth);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field \`auth.${issue.keys[0]}\`: expected \`{ token, readToken? }\` or \`{ disabled: true }\``
        : issue.message;
    throw new TypeError(`batchtel/server: ${message}`);
  }
  return parsed.data;
}

/**
 * A token as an error message shows it: its kind and length, never its content
 * (core's describeValue shows values; a mistyped token is still a secret).
 */
function describeSecret(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return `a number`;
  if (typeof value === 'string') return `a string of ${value.length}`;
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : typeof value;
}

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
 * A short-lived, read-only credential for the SSE route: EventSource cannot
 * send headers, and a long-lived token in a URL ends up in proxy logs and
 * browser history. Stateless: `<expiry ms>.<HMAC-SHA256(token, "sse:" + expiry)>`,
 * reusable until it expires (so EventSource's own reconnects work), then the
 * page asks for a new one with its Bearer token.
 */
export function issueTicket(auth: AuthOptions, nowMs: number, ttlMs: number): { ticket: string; expiresAt: number } | undefined {
  if ('disabled' in auth) return undefined;
  const expiresAt = Math.floor(nowMs + ttlMs);
  return { ticket: `${expiresAt}.${sign(auth.token, expiresAt)}`, expiresAt };
}

function ticketValid(auth: { token: string }, ticket: string, nowMs: number): boolean {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(ticket);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  return safeEqual(match[2]!, sign(auth.token, expiresAt)) && nowMs < expiresAt;
}

const sign = (token: string, expiresAt: number): string => createHmac('sha256', token).update(`sse:${expiresAt}`).digest('base64url');

/**
 * Checks a request against the access a route needs.
 * 401: no credentials, or credentials that are not a token we know (or an expired ticket).
 * 403: a known token without the right (read-only token on a write route),
 * or any request from a non-loopback address when auth is disabled.
 * `allowTicket` accepts `?ticket=` from {@link issueTicket} (only the SSE route).
 */
export function authorize(req: IncomingMessage, url: URL, auth: AuthOptions, need: Access, allowTicket: boolean, nowMs: number): void {
  if (need === 'none') return;
  if ('disabled' in auth) {
    if (!isLoopback(req.socket.remoteAddress)) {
      throw new HttpError(403, 'auth is disabled, so only loopback clients are served', [
        { path: 'request', message: `client ${req.socket.remoteAddress ?? 'unknown'} is not on loopback`, code: 'forbidden' },
      ]);
    }
    return;
  }
  const header = req.headers.authorization;
  if (header === undefined && allowTicket && need === 'read') {
    const ticket = url.searchParams.get('ticket');
    if (ticket !== null) {
      if (!ticketValid(auth, ticket, nowMs)) throw unauthorized('invalid or expired ticket: get a new one from POST /api/batch/events/ticket', 'invalid_token');
      return;
    }
  }
  let token: string | undefined;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('the Authorization header must be `Bearer <token>`', 'invalid_request');
    token = match[1];
  }
  if (token === undefined) throw unauthorized('authentication required: send `Authorization: Bearer <token>`', 'missing_token');
  const write = safeEqual(token, auth.token);
  const read = auth.readToken !== undefined && safeEqual(token, auth.readToken);
  if (!write && !read) throw unauthorized('invalid token', 'invalid_token');
  if (need === 'write' && !write) {
    throw new HttpError(403, 'this token may only read', [
      { path: 'authorization', message: 'a read-only token cannot change runs', code: 'insufficient_scope' },
    ]);
  }
}

function unauthorized(message: string, code: string): HttpError {
  return new HttpError(401, message, [{ path: 'authorization', message, code }], {
    'www-authenticate': `Bearer realm="batchtel", error="${code === 'missing_token' ? 'invalid_request' : code}"`,
  });
}
