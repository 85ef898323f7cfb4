import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
/** Arguments that make an example that would otherwise serve until Ctrl-C do its work and exit. */
const ARGS: Record<string, string[]> = { 'control-server.ts': ['--once'] };
/** tsx's loader by path: the examples run from a temporary folder, where `--import tsx` would not resolve. */
const TSX = createRequire(import.meta.url).resolve('tsx/esm');

const work: string[] = [];
afterAll(() => {
  for (const dir of work) rmSync(dir, { recursive: true, force: true });
});

/** Runs one example in a folder of its own (its `.batchtel/` lands there), with no OTLP endpoint set: the local default. */
function run(file: string): Promise<{ code: number | null; out: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'batchtel-example-'));
  work.push(cwd);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(EXAMPLES, file), ...(ARGS[file] ?? [])], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('examples/', () => {
  const files = readdirSync(EXAMPLES)
    .filter((name) => name.endsWith('.ts'))
    .sort();

  it('has the examples the docs link to', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of Object.keys(ARGS)) expect(files).toContain(file);
  });

  // Side by side: each spends most of its time waiting on its own simulated work.
  it.concurrent.for(files)('%s runs to completion', { timeout: 90_000 }, async (file, { expect }) => {
    const { code, out } = await run(file);
    expect(code, out).toBe(0);
    expect(out).not.toMatch(/Error:|Unhandled|TypeError/);
  });
});
