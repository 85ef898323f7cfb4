import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackBatch } from '../../src/api/trackBatch.js';
import { ManualClock } from '../../src/core/clock.js';
import { heldRuns, RunRegistry } from '../../src/core/RunRegistry.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createBatchHandler, startServer, type RunningServer } from '../../src/server/index.js';

/**
 * The board in real headless Chromium (Debian's `chromium`, installed by
 * scripts/install-system-deps.sh; never downloaded): it loads, follows a run
 * live over SSE, cancels it, and leaves screenshots in test-output/.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Headless Chromium as root here, with nothing reaching out to the network. */
const CHROMIUM_ARGS = [
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-gpu',
];
const OUT = join(process.cwd(), 'test-output');

let server: RunningServer;
let registry: RunRegistry;
let context: BrowserContext;
let profile: string;

async function launch(width: number, height: number): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height },
    args: CHROMIUM_ARGS,
  });
}

/** A finished run for the board to show next to the live one: 40 chunks of 12.5 items over ~60 s of its own clock. */
function finished(name: string, operation: string, result: 'success' | 'failure'): void {
  const clock = new ManualClock(Date.now() - 120_000);
  const batch = trackBatch({ name, operation, total: 500, registry, clock, display: 'none' }).start();
  const run = heldRuns(registry).get(batch.id)!;
  const chunks = result === 'success' ? 40 : 18;
  for (let i = 0; i < chunks; i++) {
    const chunk = run.beginChunk(i % 2 === 0 ? 12 : 13);
    clock.advance(900 + ((i * 37) % 11) * 120);
    run.endChunk(chunk, { failed: i % 9 === 4 ? 2 : 0 });
    batch.quality(0.72 + ((i * 13) % 25) / 100);
  }
  batch.error(Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '2' } }));
  batch.error(new Error('upstream'), { type: 'http_503' });
  batch.finish(result === 'failure' ? { result: 'failure' } : {});
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with \`bash scripts/install-system-deps.sh\` (Debian: apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  mkdirSync(OUT, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'batchtel-chromium-'));
  registry = new RunRegistry();
  server = await startServer({ registry, events: { progressIntervalMs: 200 } });
  context = await launch(1280, 860);
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const percent = async (page: Page, id: string): Promise<number> => {
  const text = (await page.locator(`[data-id="${id}"] .pct`).textContent()) ?? '';
  return Number.parseFloat(text) || 0;
};

describe('the board', () => {
  it('shows a run progressing live and cancels it', async () => {
    finished('Nightly export', 'export_invoices', 'success');
    finished('Backfill embeddings', 'embed', 'failure');
    const batch = trackBatch({ name: 'Sync users to CRM', operation: 'sync_users', category: 'data_sync', total: 5000, registry, display: 'none' });
    let calls = 0;
    const done = batch.process(
      Array.from({ length: 5000 }, (_, i) => i),
      async (_chunk, { signal }) => {
        calls++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 20 + (calls % 7) * 5);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        if (calls % 25 === 0) throw Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '0' } });
        return { quality: 0.8 + (calls % 10) / 50 };
      },
      { chunkSize: 10, concurrency: 2, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } },
    );

    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    const urls: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => urls.push(request.url()));
    await page.goto(server.boardUrl);
    // The token moved from the fragment to sessionStorage; the address bar no longer shows it.
    expect(page.url()).toBe(`${server.url}/`);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });

    const card = page.locator(`[data-id="${batch.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('running');
    const first = await percent(page, batch.id);
    await expect.poll(() => percent(page, batch.id), { timeout: 15_000, interval: 100 }).toBeGreaterThan(first + 2);
    await expect.poll(async () => (await card.locator('.spark polyline').getAttribute('points'))?.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(10);
    await expect.poll(() => card.locator('.eta').textContent(), { timeout: 10_000 }).toMatch(/\d+s|\d+m/);
    expect(await card.locator('.name').textContent()).toBe('Sync users to CRM');
    expect(await card.locator('.op').textContent()).toBe('sync_users · data_sync');
    expect(await page.locator('[data-testid="run"]').count()).toBe(3);
    await page.screenshot({ path: join(OUT, 'board.png'), fullPage: true });

    const cancel = card.locator('button.cancel');
    await cancel.click();
    expect(await cancel.textContent()).toBe('Confirm cancel'); // a stray click does nothing
    expect(await card.getAttribute('data-status')).toBe('running');
    await cancel.click();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    const stats = await done;
    expect(stats.status).toBe('cancelled');
    expect(stats.processed).toBeLessThan(5000);
    expect(await card.locator('button.cancel').isVisible()).toBe(false);
    await page.screenshot({ path: join(OUT, 'board-cancelled.png'), fullPage: true });
    expect(errors).toEqual([]);
    // The stream was opened with a short-lived ticket; the token itself never went into a URL.
    expect(urls.some((u) => /\/api\/batch\/events\?ticket=/.test(u))).toBe(true);
    expect(urls.filter((u) => u.includes(encodeURIComponent(server.token!)) || u.includes(server.token!))).toEqual([]);
  });

  it('is readable on a narrow screen: one column, no horizontal scroll', async () => {
    const narrow = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await narrow.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(server.boardUrl);
      await page.locator('[data-testid="run"]').first().waitFor({ timeout: 10_000 });
      // A string, so the test compiles without the DOM lib.
      const layout = (await page.evaluate(`({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        lefts: [...document.querySelectorAll('[data-testid="run"]')].map((el) => Math.round(el.getBoundingClientRect().left)),
      })`)) as { scrollWidth: number; clientWidth: number; lefts: number[] };
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(new Set(layout.lefts).size).toBe(1);
      await page.screenshot({ path: join(OUT, 'board-narrow.png'), fullPage: true });
    } finally {
      await narrow.close();
    }
  });

  it('asks for a token when opened without one', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await page.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
    await page.fill('#tokenInput', server.token!);
    await page.click('#login button');
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });
    await page.close();
  });
});

describe('the board mounted under a prefix', () => {
  const TOKEN = 'mounted-board-token-0123456789';
  let mounted: RunningApp[] = [];
  interface RunningApp {
    server: Server;
    base: string;
    close: () => Promise<void>;
  }
  const listen = async (server: Server, close: () => void): Promise<RunningApp> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const app = {
      server,
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) => {
          close();
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
    mounted.push(app);
    return app;
  };
  afterAll(async () => {
    await Promise.all(mounted.map((app) => app.close()));
    mounted = [];
  });

  it('in express, with and without the trailing slash: the page reaches its API inside the mount', async () => {
    const registry = new RunRegistry();
    const handler = createBatchHandler({ auth: { token: TOKEN }, registry, events: { progressIntervalMs: 200 } });
    const app = express();
    app.get('/', (_req, res) => res.send('the app'));
    app.use('/batchtel', handler);
    const { base } = await listen(createServer(app), () => handler.close());
    const batch = trackBatch({ name: 'Mounted run', operation: 'mounted', total: 1000, registry, display: 'none' }).start();
    batch.add(10);

    for (const path of ['/batchtel', '/batchtel/']) {
      const page = await context.newPage();
      const failed: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(`${base}${path}#token=${TOKEN}`);
      await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });
      const card = page.locator(`[data-id="${batch.id}"]`);
      await card.waitFor({ timeout: 10_000 });
      expect(await card.locator('.name').textContent()).toBe('Mounted run');
      expect(new URL(page.url()).pathname).toBe('/batchtel/');
      expect(failed, path).toEqual([]);
      await page.close();
    }

    // Cancel goes through the mount too (a JSON POST, same origin).
    const page = await context.newPage();
    await page.goto(`${base}/batchtel#token=${TOKEN}`);
    const card = page.locator(`[data-id="${batch.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await card.locator('button.cancel').click();
    await card.locator('button.cancel').click();
    await expect.poll(() => batch.signal.aborted, { timeout: 10_000 }).toBe(true);
    batch.finish();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    await page.close();
  });

  it('behind a mount that hides its prefix (no originalUrl), opened without the slash', async () => {
    const registry = new RunRegistry();
    const handler = createBatchHandler({ auth: { token: TOKEN }, registry, events: { progressIntervalMs: 200 } });
    const server = createServer((req, res) => {
      if (req.url === '/plain' || req.url?.startsWith('/plain/') || req.url?.startsWith('/plain?')) {
        req.url = req.url.slice('/plain'.length) || '/';
        if (req.url.startsWith('?')) req.url = `/${req.url}`;
        handler(req, res);
      } else res.writeHead(404).end();
    });
    const { base } = await listen(server, () => handler.close());
    const batch = trackBatch({ name: 'Plain run', operation: 'plain', registry, display: 'none' }).start();
    const page = await context.newPage();
    await page.goto(`${base}/plain#token=${TOKEN}`);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });
    await page.locator(`[data-id="${batch.id}"]`).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe('/plain');
    await page.close();
    batch.finish();
  });
});

describe('auth disabled (loopback-only): another origin cannot change runs', () => {
  it('a page from another origin neither cancels nor creates with no-cors fetches; the board itself still cancels', async () => {
    const registry = new RunRegistry();
    const { defineOperation } = await import('../../src/server/index.js');
    const { z } = await import('zod');
    const op = defineOperation('noop', z.strictObject({}), () => undefined);
    const target = await startServer({ registry, auth: { disabled: true }, operations: [op], events: { progressIntervalMs: 200 } });
    const victim = trackBatch({ name: 'Victim', operation: 'victim', registry, display: 'none' }).start();
    const attack = `<!doctype html><script>
      const api = ${JSON.stringify(target.url)} + '/api/batch/';
      const shots = [
        fetch(api + ${JSON.stringify(victim.id)} + '/cancel', { method: 'POST', mode: 'no-cors', body: new Blob(['{}']) }),
        fetch(api + 'create', { method: 'POST', mode: 'no-cors', body: new Blob([JSON.stringify({ operation: 'noop', input: {} })]) }),
        fetch(api + 'create', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ operation: 'noop', input: {} }) }),
        fetch(api + 'create', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'noop', input: {} }) }),
      ];
      Promise.allSettled(shots).then(() => { document.title = 'done'; });
    </script>`;
    const evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attack));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const page = await context.newPage();
    try {
      const hits: string[] = [];
      page.on('response', (response) => hits.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`));
      // localhost:<other port> is another origin (and the same site) as 127.0.0.1:<target port>.
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      await expect.poll(() => page.title(), { timeout: 10_000 }).toBe('done');
      expect(victim.signal.aborted).toBe(false);
      expect(registry.list().map((r) => r.name)).toEqual(['Victim']);
      // The requests did reach the server, and were refused there.
      expect(hits.filter((h) => h.includes('/api/batch/')).every((h) => /^(403|415) /.test(h) || h.startsWith('0 '))).toBe(true);

      await page.goto(`${target.url}/`);
      const card = page.locator(`[data-id="${victim.id}"]`);
      await card.waitFor({ timeout: 10_000 });
      await card.locator('button.cancel').click();
      await card.locator('button.cancel').click();
      await expect.poll(() => victim.signal.aborted, { timeout: 10_000 }).toBe(true);
    } finally {
      await page.close();
      evil.closeAllConnections();
      await new Promise((resolve) => evil.close(resolve));
      await target.close();
    }
  });
});
