import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeBlocks, exampleBlocks, pages, sourceFiles, type Block } from '../../support/docPages.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const isTs = (block: Block) => /^(ts|typescript)(\s|$)/.test(block.info);
/** A block marked `ts fragment` shows part of a program and is not compiled; keep these few. */
const isFragment = (block: Block) => /\bfragment\b/.test(block.info);

/** Each public entry point, resolved to its source, as an app that installed the package imports it. */
function entryPaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { types?: string } | string> };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typeof target === 'string' ? target : target.types;
    if (!types?.startsWith('./dist/') || !types.endsWith('.d.ts')) continue;
    const source = join(ROOT, 'src', types.slice('./dist/'.length, -'.d.ts'.length) + '.ts');
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [source];
  }
  return paths;
}

describe('code in the README, docs/ and the @examples of the API reference', () => {
  const blocks = [
    ...pages().flatMap((page) => codeBlocks(relative(ROOT, page), readFileSync(page, 'utf8'))),
    ...sourceFiles().flatMap((file) => exampleBlocks(relative(ROOT, file), readFileSync(file, 'utf8'))),
  ];
  const ts = blocks.filter(isTs);

  it('finds the TypeScript blocks, and few of them are fragments', () => {
    expect(ts.length).toBeGreaterThan(10);
    expect(ts.filter(isFragment).length).toBeLessThanOrEqual(Math.max(2, Math.floor(ts.length / 10)));
    expect(ts.filter((block) => block.page.startsWith('src/')).length).toBeGreaterThanOrEqual(10);
  });

  it('every TypeScript block type-checks against the package source', () => {
    // Inside the repository, so that imports of zod, express and the OpenTelemetry packages resolve from node_modules.
    const dir = join(ROOT, 'test-output', 'doc-blocks');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const where = new Map<string, Block>();
    ts.filter((block) => !isFragment(block)).forEach((block, n) => {
      const file = `block-${String(n).padStart(3, '0')}.ts`;
      where.set(file, block);
      // `export {}` makes each block a module of its own (top-level await, no name clashes between blocks).
      writeFileSync(join(dir, file), `${block.code}\nexport {};\n`);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '../..', paths: entryPaths(), noUnusedLocals: false },
        include: ['*.ts'],
      }),
    );
    // Incremental: unchanged blocks and sources are not checked again (the build info lives
    // with the installed packages; tsc compares file contents, so rewritten blocks that did not change cost nothing).
    const buildInfo = join(ROOT, 'node_modules', '.cache', 'batchtel', 'doc-blocks.tsbuildinfo');
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', buildInfo],
      { encoding: 'utf8' },
    );
    // Name each error by its page and line rather than by the temporary file.
    const errors = `${tsc.stdout}${tsc.stderr}`.replace(/(?:test-output\/doc-blocks\/)?(block-\d+\.ts)\((\d+),(\d+)\)/g, (_m, file: string, line: string) => {
      const block = where.get(file);
      return block ? `${block.page}:${block.line + Number(line)}` : file;
    });
    expect(errors.trim()).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);
});
