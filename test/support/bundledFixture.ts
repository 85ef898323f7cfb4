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
const built = new Map<string, Promise<string>>();

/** The bundle's path for `fixture` (relative to the repository root), built once per test file. */
export function bundledFixture(fixture: string): Promise<string> {
  let path = built.get(fixture);
  if (!path) {
    path = bundle(fixture);
    built.set(fixture, path);
  }
  return path;
}

async function bundle(fixture: string): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, fixture)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0]!.contents;
  // Inside the repository, so the bundle's package imports resolve from its node_modules; named
  // by content and written by rename, so test processes running side by side never read half a file.
  const dir = join(ROOT, 'test-output', 'fixtures');
  mkdirSync(dir, { recursive: true });
  const name = basename(fixture, '.ts');
  const file = join(dir, `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 12)}.mjs`);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, file);
  // Bundles of earlier sources of this fixture are not needed again.
  const bundleOfThis = new RegExp(`^${name}-[0-9a-f]{12}\\.mjs$`);
  for (const other of readdirSync(dir)) if (bundleOfThis.test(other) && join(dir, other) !== file) rmSync(join(dir, other), { force: true });
  return file;
}
