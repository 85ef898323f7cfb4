import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackBatch } from '../../src/api/trackBatch.js';
import { ManualClock } from '../../src/core/clock.js';
import { RunRegistry } from '../../src/core/RunRegistry.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

/**
 * The board in real headless Chromium (Debian's `chromium`, installed by
 * scripts/install-system-deps.sh; never downloaded): it loads, follows a run
 * live over SSE, cancels it, and leaves screenshots in test-output/.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
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
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-gpu',
    ],
  });
}

/** A finished run for the board to show next to the live one: 40 chunks of 12.5 items over ~60 s of its own clock. */
function finished(name: string, operation: string, result: 'success' | 'failure'): void {
  const clock = new ManualClock(Date.now() - 120_000);
  const batch = trackBatch({ name, operation, total: 500, registry, clock, display: 'none' }).start();
  const run = registry.get(batch.id)!;
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
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`bash scripts/install-system-deps.sh\` (Debian: apt-get install -y chromium) or set CHROMIUM_PATH`);
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
      async (chunk, { signal }) => {
        calls++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 20 + (calls % 7) * 5);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        if (calls % 25 === 0) throw Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '0' } });
        return { quality: 0.8 + (calls % 10) / 50 };
      },
      { batchSize: 10, concurrency: 2, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } },
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
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-gpu'],
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
