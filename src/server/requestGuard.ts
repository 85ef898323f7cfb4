import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';

/**
 * Checks that keep a browser page of another site from using the API through
 * the user's browser. Bearer tokens are never sent by a browser on its own, but
 * with auth disabled (loopback-only mode) the browser itself is the credential:
 * - CSRF: a state-changing request must be `application/json` (a cross-origin
 *   form or `no-cors` fetch can only send text/plain, form or multipart bodies,
 *   and a JSON one needs a CORS preflight this server never grants) and must
 *   not come from another origin (`Sec-Fetch-Site`, else `Origin` against `Host`).
 * - DNS rebinding: a name the attacker controls that resolves to 127.0.0.1 is
 *   seen in `Host`; only loopback names and the configured hosts are answered.
 */

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/([a-z.+-]*\+)?json\s*(;|$)/i;

export function isStateChanging(method: string): boolean {
  return STATE_CHANGING.has(method);
}

/** `Host` without its port, lower-cased; IPv6 without brackets. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** Names that can only mean this machine: browsers resolve `localhost` and `*.localhost` to loopback themselves. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  return /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** 403 unless `Host` is a loopback name or one of `allowed` (names without port). A request without `Host` is not from a browser. */
export function checkHost(req: IncomingMessage, allowed: ReadonlySet<string>): void {
  const header = req.headers.host;
  if (header === undefined) return;
  const name = hostName(header);
  if (isLoopbackName(name) || allowed.has(name)) return;
  throw new HttpError(403, `this server does not answer for host ${JSON.stringify(name)}`, [
    {
      path: 'headers.host',
      message: `expected a loopback name (localhost, 127.0.0.1, [::1]) or one of allowedHosts, received ${JSON.stringify(name)}`,
      code: 'host_not_allowed',
      expected: 'a loopback name or one of allowedHosts',
      received: JSON.stringify(name),
    },
  ]);
}

/** For state-changing methods: 403 from another origin, 415 without a JSON content type. */
export function checkStateChange(req: IncomingMessage, allowed: ReadonlySet<string>): void {
  const site = header(req, 'sec-fetch-site');
  const origin = header(req, 'origin');
  let foreign: string | undefined;
  if (site !== undefined) {
    // `none`: the user's own navigation (typed URL, bookmark), never a page's script.
    if (site !== 'same-origin' && site !== 'none') foreign = `Sec-Fetch-Site: ${site}`;
  } else if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = origin === 'null' ? undefined : new URL(origin).host.toLowerCase();
    } catch {
      originHost = undefined;
    }
    const host = header(req, 'host')?.toLowerCase();
    const same = originHost !== undefined && (originHost === host || allowed.has(hostName(originHost)));
    if (!same) foreign = `Origin: ${origin}`;
  }
  if (foreign !== undefined) {
    throw new HttpError(403, 'requests that change runs are only accepted from the board itself or from non-browser clients', [
      {
        path: 'headers.origin',
        message: `expected a same-origin request, received ${foreign}`,
        code: 'cross_origin',
        expected: 'same-origin',
        received: foreign,
      },
    ]);
  }
  const type = header(req, 'content-type');
  if (type === undefined || !JSON_TYPE.test(type)) {
    throw new HttpError(415, 'requests that change runs must be sent as application/json (an empty body is fine where none is needed)', [
      {
        path: 'headers.content-type',
        message: `expected application/json, received ${type === undefined ? 'no content type' : type}`,
        code: 'unsupported_media_type',
        expected: 'application/json',
        received: type ?? 'nothing',
      },
    ]);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
