/**
 * `npm run build` once per state of its inputs: the package tests and the
 * consumer test (which packs with --ignore-scripts after this) share one build
 * instead of building dist/ twice in a run. The inputs' hash is kept beside the
 * installed packages, never in dist/ (which is published).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STAMP = join(ROOT, 'node_modules', '.cache', 'batchtel', 'dist.sha256');

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

/**
 * dist/ as `npm run build` makes it from the current sources: built unless this helper's
 * last build was from the same inputs and nothing has built dist/ since.
 */
export async function ensureBuilt(): Promise<void> {
  const hash = inputsHash();
  const built = join(ROOT, 'dist', 'index.js');
  if (existsSync(built) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash && statSync(built).mtimeMs <= statSync(STAMP).mtimeMs) return;
  // Asynchronous, so the test worker keeps answering vitest during the build.
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
  mkdirSync(join(STAMP, '..'), { recursive: true });
  writeFileSync(STAMP, hash);
}
