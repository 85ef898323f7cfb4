import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/builtPackage.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `batchtel demo` as a user runs it: board URL and token printed, bounded, Ctrl-C clean.
 * In a folder of its own, with no endpoint configured and no collector on 127.0.0.1:4318
 * (the stack tests use other ports): the local default at work, its files kept apart.
 */
function start(
  args: string[],
  cwd = mkdtempSync(join(tmpdir(), 'batchtel-demo-')),
  /** The sources through tsx, or the built package (what `npm run demo` runs once dist/ is current, and what users install). */
  from: 'sources' | 'build' = 'sources',
): { child: ChildProcess; cwd: string; output: () => string; exit: Promise<number | null> } {
  const env = { ...process.env };
  delete env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  delete env['OTEL_EXPORTER_OTLP_PROTOCOL'];
  const entry =
    from === 'build' ? [join(ROOT, 'dist/cli/batchtel.js')] : ['--import', join(ROOT, 'node_modules/tsx/dist/loader.mjs'), join(ROOT, 'src/cli/batchtel.ts')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, cwd, output: () => out, exit };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('batchtel demo', () => {
  it('prints the board and token, serves the runs, stops at --duration and exits 0', async () => {
    const demo = start(['demo', '--duration', '4', '--port', '0', '--scale', '0.3']);
    await until(() => /API token: \S+/.test(demo.output()), 30_000, 'the token line');
    const out = demo.output();
    const board = /board: +(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(out);
    expect(board, out).not.toBeNull();
    expect(out).toMatch(/telemetry: /);
    const [, url, token] = board!;
    const stats = await fetch(`${url}/api/batch/stats`, { headers: { authorization: `Bearer ${decodeURIComponent(token!)}` } });
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { stats: { total: number } }).stats.total).toBeGreaterThanOrEqual(3);
    // A run started through the control API gets a terminal line and a summary like the demo's own.
    const created = await fetch(`${url}/api/batch/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${decodeURIComponent(token!)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'resize_images', name: 'Resize via API', input: { count: 20 } }),
    });
    expect(created.status, await created.clone().text()).toBeLessThan(300);
    const code = await Promise.race([demo.exit, new Promise((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).toMatch(/summaries \(\d+ s, time limit reached\)/);
    expect(demo.output()).toMatch(/Sync users to CRM: cancelled/);
    expect(demo.output()).toMatch(/\n {2}Resize via API: (completed|cancelled), \d+\/20 ok/);
    expect(demo.output()).toMatch(/(✔|■) Resize via API, (completed|cancelled)/);
    // The closing lines say where the telemetry went, with counts: no collector answered, so to the folder.
    expect(demo.output()).toMatch(
      /\ntelemetry:\n {2}traces \(spans\): [1-9]\d* written to \.batchtel\/otlp \(no collector answered at http:\/\/127\.0\.0\.1:4318\/v1\/traces/,
    );
    expect(demo.output()).toMatch(/\n {2}logs \(log records\): [1-9]\d* written to \.batchtel\/otlp/);
    expect(demo.output()).not.toMatch(/\d+ sent to/);
    // With no collector the runs' spans went to the folder as OTLP JSON requests, and nothing waits in the spool.
    const traces = readFileSync(join(demo.cwd, '.batchtel/otlp/traces.jsonl'), 'utf8').trim().split('\n');
    expect(traces.some((line) => (JSON.parse(line) as { resourceSpans: unknown[] }).resourceSpans.length > 0)).toBe(true);
    expect(existsSync(join(demo.cwd, '.batchtel/otlp/logs.jsonl'))).toBe(true);
    expect(readdirSync(join(demo.cwd, '.batchtel/spool')).filter((f) => f.endsWith('.otlp'))).toEqual([]);
  });

  it('stops cleanly on Ctrl-C', async () => {
    const demo = start(['demo', '--duration', '60', '--port', '0']);
    await until(() => /Ctrl-C stops early/.test(demo.output()), 30_000, 'the banner');
    demo.child.kill('SIGINT');
    const code = await Promise.race([demo.exit, new Promise((resolve) => setTimeout(() => resolve('hung'), 20_000))]);
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).toMatch(/stopping/);
    expect(demo.output()).toMatch(/summaries/);
  });

  it('--workers: one run over worker processes on BullMQ, from the built package (its worker file shipped beside the CLI)', async () => {
    await ensureBuilt();
    const demo = start(['demo', '--workers', '2', '--scale', '10', '--port', '0'], undefined, 'build');
    const code = await Promise.race([demo.exit, new Promise((resolve) => setTimeout(() => resolve('hung'), 90_000))]);
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).toMatch(/one run over 2 worker processes on BullMQ/);
    expect(demo.output()).toMatch(/\nsuccess: 2000 succeeded, 0 failed, 0 skipped of 2000/);
    expect(demo.output()).not.toMatch(/worker process \d exited/);
  }, 120_000);

  it('explains bad usage with exit code 2', async () => {
    const bad = start(['demo', '--duration', 'soon']);
    expect(await bad.exit).toBe(2);
    expect(bad.output()).toMatch(/--duration must be a number of seconds > 0, got "soon"/);
    const unknown = start(['launch']);
    expect(await unknown.exit).toBe(2);
    expect(unknown.output()).toMatch(/unknown command "launch"/);
  });
});
