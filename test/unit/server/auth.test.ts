import { afterEach, describe, expect, it } from 'vitest';
import { createBatchHandler, startServer } from '../../../src/server/index.js';
import { safeEqual } from '../../../src/server/auth.js';
import { READ_TOKEN, startTestServer, type TestServer } from './helpers.js';

let s: TestServer | undefined;
afterEach(async () => {
  s?.open();
  await s?.close();
  s = undefined;
});

describe('bearer auth', () => {
  it('401 without credentials, with WWW-Authenticate, on every API route', async () => {
    s = await startTestServer();
    for (const [method, path] of [
      ['GET', '/api/batch/x'],
      ['GET', '/api/batch/x/results'],
      ['GET', '/api/batch/x/viz'],
      ['GET', '/api/batch/history'],
      ['GET', '/api/batch/stats'],
      ['GET', '/api/batch/events'],
      ['POST', '/api/batch/events/ticket'],
      ['POST', '/api/batch/x/cancel'],
      ['POST', '/api/batch/create'],
      ['DELETE', '/api/batch/cleanup'],
    ] as const) {
      const res = await s.request(path, { method, token: null });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="batchtel"/);
      expect(res.body).toMatchObject({ success: false, details: { errors: [{ path: 'authorization', code: 'missing_token' }] } });
    }
  });

  it('401 for a wrong token or a malformed header', async () => {
    s = await startTestServer();
    const wrong = await s.request('/api/batch/stats', { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.details.errors[0].code).toBe('invalid_token');
    const basic = await s.request('/api/batch/stats', { token: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    expect(basic.body.details.errors[0].code).toBe('invalid_request');
  });

  it('403 for a read-only token on write routes; it may read', async () => {
    s = await startTestServer();
    expect((await s.request('/api/batch/stats', { token: READ_TOKEN })).status).toBe(200);
    const create = await s.request('/api/batch/create', {
      method: 'POST',
      token: READ_TOKEN,
      body: JSON.stringify({ operation: 'gated', input: { items: 1 } }),
    });
    expect(create.status).toBe(403);
    expect(create.body.details.errors[0].code).toBe('insufficient_scope');
    const cleanup = await s.request('/api/batch/cleanup', { method: 'DELETE', token: READ_TOKEN, body: '{"daysToKeep":1}' });
    expect(cleanup.status).toBe(403);
  });

  it('trades the token for a short-lived read-only ticket accepted on the SSE route only', async () => {
    s = await startTestServer({ ticketTtlMs: 60_000 });
    const issued = await s.request('/api/batch/events/ticket', { method: 'POST', token: READ_TOKEN });
    expect(issued.status).toBe(200);
    const { ticket, expiresAt } = issued.body as { ticket: string; expiresAt: string };
    expect(ticket).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expiresAt)).toBe(Math.floor(s.clock.now() + 60_000));
    expect((await s.request('/api/batch/events/ticket', { method: 'POST', token: null })).status).toBe(401);

    const open = async (query: string) => {
      const controller = new AbortController();
      const res = await fetch(`${s!.url}/api/batch/events?${query}`, { signal: controller.signal });
      const type = res.headers.get('content-type');
      controller.abort();
      return { status: res.status, type };
    };
    expect(await open(`ticket=${encodeURIComponent(ticket)}`)).toEqual({ status: 200, type: 'text/event-stream; charset=utf-8' });
    // Not a credential anywhere else, and the long-lived token is not accepted in the URL.
    expect((await s.request(`/api/batch/stats?ticket=${encodeURIComponent(ticket)}`, { token: null })).status).toBe(401);
    expect((await open(`access_token=${READ_TOKEN}`)).status).toBe(401);
    // Tampered or expired tickets are refused.
    const [expiry, mac] = ticket.split('.');
    expect((await open(`ticket=${Number(expiry) + 1000}.${mac}`)).status).toBe(401);
    s.clock.advance(60_000);
    expect((await open(`ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
  });

  it('auth disabled: loopback clients are served; a non-loopback client gets 403', async () => {
    s = await startTestServer({ auth: { disabled: true } });
    expect((await s.request('/api/batch/stats', { token: null })).status).toBe(200);
    const handler = createBatchHandler({ auth: { disabled: true } });
    let status = 0;
    let body = '';
    const res = {
      headersSent: false,
      req: { method: 'GET' },
      writeHead(code: number) {
        status = code;
        return this;
      },
      end(text: string) {
        body = text;
      },
    };
    handler({ url: '/api/batch/stats', method: 'GET', headers: {}, socket: { remoteAddress: '10.1.2.3' } } as never, res as never);
    await new Promise((resolve) => setImmediate(resolve));
    handler.close();
    expect(status).toBe(403);
    expect(JSON.parse(body).details.errors[0].code).toBe('forbidden');
  });

  it('refuses to start without auth on a non-loopback host, and refuses short tokens', async () => {
    await expect(startServer({ host: '0.0.0.0', auth: { disabled: true } })).rejects.toThrow(/loopback/);
    expect(() => createBatchHandler({ auth: { token: 'short' } })).toThrow(/at least 16/);
    expect(() => createBatchHandler({} as never)).toThrow(/`auth` is required/);
  });

  it('compares tokens in constant time regardless of length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('a', 'a-much-longer-secret')).toBe(false);
  });
});
