/**
 * `npm run build` once per state of its inputs: the package tests and the
 * consumer test (which packs with --ignore-scripts after this) share one build
 * instead of building dist/ twice in a run. The inputs' hash is kept beside the
 * installed packages, never in dist/ (which is published). Integration files run
 * side by side in separate processes, so the check and the build hold a lock file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'batchtel');
const STAMP = join(CACHE, 'dist.sha256');
const LOCK = join(CACHE, 'dist.lock');

/** Everything the build reads from the repository: the sources, its scripts and configuration. */
function inputsHash(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(join(ROOT, 'src'));
  files.push(...['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/bundle.mjs'].map((file) => join(ROOT, file)));
  const hash = createHash('sha256');
  for (const file of files.sort())
    hash
      .update(`${relative(ROOT, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  return hash.digest('hex');
}

/** Whether the process that wrote `LOCK` still runs (a holder killed mid-build leaves the file behind). */
function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(LOCK, 'utf8'));
  } catch {
    return true; // gone already: the next attempt takes it
  }
  // Empty: its holder is between creating the file and writing its pid, unless that was long ago.
  if (!pid) {
    const since = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs;
    return since === undefined || Date.now() - since < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `task` holding `LOCK` (created exclusively), polling while another process holds it. */
async function locked<T>(task: () => Promise<T>): Promise<T> {
  mkdirSync(CACHE, { recursive: true });
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (holderAlive()) await sleep(200);
    else rmSync(LOCK, { force: true });
  }
  try {
    return await task();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/**
 * dist/ as `npm run build` makes it from the current sources: built unless this helper's
 * last build was from the same inputs and nothing has built dist/ since.
 */
export function ensureBuilt(): Promise<void> {
  return locked(async () => {
    const hash = inputsHash();
    const built = join(ROOT, 'dist', 'index.js');
    if (existsSync(built) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash && statSync(built).mtimeMs <= statSync(STAMP).mtimeMs) return;
    // Asynchronous, so the test worker keeps answering vitest during the build.
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
    writeFileSync(STAMP, hash);
  });
}
