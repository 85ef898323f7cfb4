import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRegistry } from '../../src/core/RunRegistry.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { pictureRuns } from '../fixtures/board-picture.js';
import { inputsHash, publishPicture, recordedHash } from '../support/pictures.js';

/**
 * The board picture of the README (docs/img/board.png): fixed runs on a fixed
 * clock in headless Chromium (Debian's `chromium`), the page's own clock fixed
 * at the same moment. Made in test-output/ on every run; copied to docs/img/
 * only when the code that draws it changed (see test/support/pictures.ts).
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const OUT = join(process.cwd(), 'test-output');

let server: RunningServer;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'batchtel-picture-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 760 },
    deviceScaleFactor: 1,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-gpu',
    ],
  });
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the board picture', () => {
  it('shows the fixed runs and is current in docs/img/', async () => {
    const registry = new RunRegistry();
    const { clock } = pictureRuns(registry);
    server = await startServer({ registry });
    await context.clock.setFixedTime(clock.now());
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.boardUrl);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('[data-testid="run"]').count(), { timeout: 10_000 }).toBe(4);
    const sync = page.locator('[data-testid="run"]', { hasText: 'Sync users to CRM' });
    await expect.poll(() => sync.getAttribute('data-status')).toBe('running');
    await expect.poll(() => sync.locator('.eta').textContent(), { timeout: 10_000 }).toMatch(/\d+s|\d+m/);
    expect(await page.locator('[data-testid="run"][data-status="failed"]').count()).toBe(1);
    expect(errors).toEqual([]);

    const made = join(OUT, 'board-picture.png');
    await page.screenshot({ path: made });
    publishPicture('board.png', made);
    expect(recordedHash('board.png')).toBe(inputsHash('board.png'));
  });
});
