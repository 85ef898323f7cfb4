/**
 * A test fixture (a TypeScript program the tests run as a child process) bundled
 * into one ES module, the way scripts/bundle.mjs builds the published package:
 * esbuild, packages left to node_modules. A child then loads one file instead of
 * having tsx transpile every source file it imports, about half the CPU of each start.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'test-output');
const built = new Map<string, Promise<string>>();
let exportWorker: Promise<void> | undefined;

/** The bundle's path for `fixture` (relative to the repository root), built once per test file. */
export function bundledFixture(fixture: string): Promise<string> {
  let path = built.get(fixture);
  if (!path) {
    path = Promise.all([bundle(fixture), (exportWorker ??= bundleExportWorker())]).then(([file]) => file);
    built.set(fixture, path);
  }
  return path;
}

async function esbuild(entry: string): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.contents;
}

/** Written by rename, so test processes running side by side never read half a file. */
function writeWhole(file: string, code: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, file);
}

/**
 * The SDK in a bundle starts its export worker thread from `../sdk/exportWorker.js`, as it
 * does from dist/: the worker bundled there, so the fixtures deliver the way an app does
 * (without it, delivery falls back to the app's thread).
 */
async function bundleExportWorker(): Promise<void> {
  const code = await esbuild('src/sdk/delivery/exportWorker.ts');
  mkdirSync(join(OUT, 'sdk'), { recursive: true });
  writeWhole(join(OUT, 'sdk', 'exportWorker.js'), code);
}

async function bundle(fixture: string): Promise<string> {
  const code = await esbuild(fixture);
  // Inside the repository, so the bundle's package imports resolve from its node_modules; named by content.
  const dir = join(OUT, 'fixtures');
  mkdirSync(dir, { recursive: true });
  const name = basename(fixture, '.ts');
  const file = join(dir, `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 12)}.mjs`);
  writeWhole(file, code);
  // Bundles of earlier sources of this fixture are not needed again.
  const bundleOfThis = new RegExp(`^${name}-[0-9a-f]{12}\\.mjs$`);
  for (const other of readdirSync(dir)) if (bundleOfThis.test(other) && join(dir, other) !== file) rmSync(join(dir, other), { force: true });
  return file;
}
