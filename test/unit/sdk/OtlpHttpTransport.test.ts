import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, MAX_RETRY_WAIT_MS, OtlpHttpTransport } from '../../../src/sdk/delivery/OtlpHttpTransport.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback endpoint on a free port that answers as `handler` says. */
async function endpoint(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
}

const body = Buffer.from('{}');

describe('OtlpHttpTransport', () => {
  it('the timeout covers the whole exchange: a 200 that drips one byte every 500 ms ends at the deadline, retryable', async () => {
    let dripping: NodeJS.Timeout | undefined;
    const url = await endpoint((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      dripping = setInterval(() => response.write(' '), 500);
      response.on('close', () => clearInterval(dripping));
    });
    const started = performance.now();
    const result = await new OtlpHttpTransport(url, {}, 1200, false).send(body, 'json');
    const took = performance.now() - started;
    clearInterval(dripping);
    expect(result).toMatchObject({ ok: false, retryable: true, reason: 'timeout' });
    expect(took).toBeGreaterThanOrEqual(1100);
    expect(took).toBeLessThan(3000);
  });

  it('reads at most a few KB of a response, then discards the rest: a 300 MB body is neither buffered nor waited for', async () => {
    let written = 0;
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const url = await endpoint((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      const pour = () => {
        while (written < 300 * chunk.length) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pour);
        }
        response.end();
      };
      response.on('close', () => (written = Math.min(written, 300 * chunk.length)));
      pour();
    });
    const result = await new OtlpHttpTransport(url, {}, 30_000, false).send(body, 'json');
    expect(result).toMatchObject({ ok: true, status: 200 });
    // Nothing kept beyond the cap (the answer is not a partial success anyone can read).
    expect(result!.body?.length ?? 0).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    // The client hung up long before 300 MB: what the server got out is what socket buffers took.
    expect(written).toBeLessThan(64 * chunk.length);
  });

  it('a Retry-After past the documented maximum is capped there (99999999 s would overflow setTimeout to 1 ms)', async () => {
    const url = await endpoint((request, response) => {
      request.resume();
      response.writeHead(429, { 'retry-after': '99999999' });
      response.end();
    });
    const result = await new OtlpHttpTransport(url, {}, 5000, false).send(body, 'json');
    expect(result).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: MAX_RETRY_WAIT_MS });
    const future = await endpoint((request, response) => {
      request.resume();
      response.writeHead(503, { 'retry-after': new Date(Date.now() + 400 * 86_400_000).toUTCString() });
      response.end();
    });
    expect((await new OtlpHttpTransport(future, {}, 5000, false).send(body, 'json'))!.retryAfterMs).toBe(MAX_RETRY_WAIT_MS);
  });

  it("gzips the body at the fastest level, on libuv's pool or (the export worker) on the calling thread: the endpoint gets the same request", async () => {
    const received: Buffer[] = [];
    const url = await endpoint((request, response) => {
      expect(request.headers['content-encoding']).toBe('gzip');
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        received.push(gunzipSync(Buffer.concat(chunks)));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const large = Buffer.from(JSON.stringify({ resourceLogs: Array.from({ length: 2000 }, (_, i) => ({ i })) }));
    for (const inline of [false, true]) expect(await new OtlpHttpTransport(url, {}, 5000, true, inline).send(large, 'json')).toMatchObject({ ok: true });
    expect(received).toEqual([large, large]);
  });

  it('an endpoint that cannot be requested (no scheme) resolves a refusal naming the cause, never a rejection', async () => {
    for (const url of ['collector:4318/v1/traces', 'not a url', 'ftp://127.0.0.1/v1/logs']) {
      const result = await new OtlpHttpTransport(url, {}, 1000, true).send(body, 'json');
      expect(result).toMatchObject({ ok: false, retryable: false, status: undefined });
      expect(result!.reason).toMatch(/^ERR_INVALID_(PROTOCOL|URL)$/);
    }
  });

  it('abort() ends a pending request at once (it resolves as aborted, retryable) so nothing keeps the process alive', async () => {
    let closed = false;
    const url = await endpoint((request, response) => {
      request.resume();
      response.on('close', () => (closed = true));
      // Never answers.
    });
    const transport = new OtlpHttpTransport(url, {}, 60_000, false);
    const pending = transport.send(body, 'json');
    // Let the request reach the server before aborting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    transport.abort();
    expect(await pending).toMatchObject({ ok: false, retryable: true, reason: 'aborted' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(true);
    // After abort nothing new is sent.
    expect(await transport.send(body, 'json')).toMatchObject({ ok: false, reason: 'aborted' });
  });
});
