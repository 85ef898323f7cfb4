import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { trackBatch } from '../../../src/api/trackBatch.js';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * Auth disabled (loopback-only mode): a page from another origin must not
 * change runs (CSRF), and a rebound DNS name must not read them.
 */
let s: TestServer | undefined;
afterEach(async () => {
  s?.open();
  await s?.close();
  s = undefined;
});

/** A raw request, so the test sets Host, Origin and Sec-Fetch-Site as a browser would. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const framing = body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {};
    const req = request(`${s!.url}${path}`, { method, headers: { ...framing, ...headers }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // the board
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const running = () => trackBatch({ name: 'victim', operation: 'victim', registry: s!.registry, display: 'none' }).start();

describe('auth disabled: state-changing requests from other origins are refused', () => {
  it('a no-cors POST (a Blob body, no content type or text/plain) neither cancels nor creates', async () => {
    s = await startTestServer({ auth: { disabled: true } });
    const run = running();
    const cancel = await send('POST', `/api/batch/${run.id}/cancel`, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, '');
    expect(cancel.status).toBe(403);
    const noType = await send('POST', `/api/batch/${run.id}/cancel`, {}, 'x');
    expect(noType.status).toBe(415);
    expect(noType.body.details.errors[0]).toMatchObject({ path: 'headers.content-type', code: 'unsupported_media_type' });
    const plain = await send('POST', '/api/batch/create', { 'content-type': 'text/plain' }, JSON.stringify({ operation: 'gated', input: { items: 1 } }));
    expect(plain.status).toBe(415);
    expect(run.signal.aborted).toBe(false);
    expect(s.registry.list()).toHaveLength(1);
  });

  it('a JSON request with a foreign Origin or Sec-Fetch-Site is refused; same-origin and non-browser clients are served', async () => {
    s = await startTestServer({ auth: { disabled: true } });
    const run = running();
    const json = { 'content-type': 'application/json' };
    const host = new URL(s.url).host;
    const foreign: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://localhost:${s.port + 1}` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: `http://localhost:${s.port + 1}` },
    ];
    for (const headers of foreign) {
      const res = await send('POST', `/api/batch/${run.id}/cancel`, { ...json, ...headers }, '{}');
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body.details.errors[0].code).toBe('cross_origin');
    }
    const del = await send('DELETE', '/api/batch/cleanup', { ...json, origin: 'http://evil.example' }, '{"daysToKeep":0}');
    expect(del.status, JSON.stringify(del.body)).toBe(403);
    expect(run.signal.aborted).toBe(false);
    const same = await send('POST', `/api/batch/${run.id}/cancel`, { ...json, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' }, '{}');
    expect(same.status).toBe(202);
    const run2 = running();
    const curl = await send('POST', `/api/batch/${run2.id}/cancel`, json, '{}');
    expect(curl.status).toBe(202);
  });

  it('checks Host: loopback names and allowedHosts are served, any other name (DNS rebinding) gets 403', async () => {
    s = await startTestServer({ auth: { disabled: true }, allowedHosts: ['batch.internal'] });
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `[::1]:${s.port}`, 'batch.internal', `batch.internal:${s.port}`]) {
      expect((await send('GET', '/api/batch/stats', { host })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${s.port}`, 'rebind.attacker.test', `127.0.0.1.nip.io:${s.port}`]) {
      const res = await send('GET', '/api/batch/stats', { host });
      expect(res.status, host).toBe(403);
      expect(res.body.details.errors[0].code).toBe('host_not_allowed');
      expect((await send('GET', '/', { host })).status, `board via ${host}`).toBe(403);
    }
  });

  it('with a token, Host is checked only when allowedHosts is set', async () => {
    s = await startTestServer();
    expect((await s.request('/api/batch/stats', { headers: { host: 'anything.example' } })).status).toBe(200);
  });
});

describe('the board cannot be framed', () => {
  it('sends frame-ancestors none and X-Frame-Options DENY', async () => {
    s = await startTestServer();
    const res = await send('GET', '/');
    expect(res.status).toBe(200);
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});
