import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/builtPackage.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every bare module specifier reachable from a compiled entry file. */
function bareImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
      const spec = match[1] ?? match[2] ?? match[3]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return bare;
}

describe('the published package', () => {
  // `npm run build`, shared with the consumer test when both run.
  beforeAll(ensureBuilt, 120_000);

  it('`import { createBatchProgress } from "batchtel"` works from the package folder', () => {
    const script = `
      import { createBatchProgress, trackBatch } from 'batchtel';
      const p = createBatchProgress({ name: 'pkg', total: 2, display: 'none' });
      p.start(); p.update(2);
      const stats = p.finish();
      const run = await trackBatch({ name: 'pkg2', display: 'none' }).process([1, 2, 3], async () => {}, { batchSize: 2 });
      console.log(JSON.stringify({ a: stats.processed, b: run.processed, t: typeof trackBatch }));
    `;
    const out = execFileSync('node', ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toEqual({ a: 2, b: 3, t: 'function' });
  });

  it('the `batchtel` entry reaches only the OpenTelemetry API packages and Node built-ins', () => {
    const imports = bareImports(resolve(ROOT, 'dist/index.js'));
    const allowed = (spec: string) => spec === '@opentelemetry/api' || spec === '@opentelemetry/api-logs' || spec.startsWith('node:');
    expect([...imports].filter((spec) => !allowed(spec))).toEqual([]);
    expect(imports.has('@opentelemetry/api')).toBe(true);
  });

  it('the export worker (its own file in the bundle) reaches only Node built-ins and the OpenTelemetry API: it starts while the app makes its first records', () => {
    const imports = bareImports(resolve(ROOT, 'dist/sdk/exportWorker.js'));
    expect([...imports].filter((spec) => spec !== '@opentelemetry/api' && !spec.startsWith('node:'))).toEqual([]);
    // The walk follows the shared chunks: the transport's built-ins are found.
    expect(imports).toContain('node:zlib');
    expect(imports).toContain('node:http');
  });

  it('every path in the exports map exists after the build', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(existsSync(resolve(ROOT, target.default)), `${key} → ${target.default}`).toBe(true);
      expect(existsSync(resolve(ROOT, target.types)), `${key} → ${target.types}`).toBe(true);
    }
  });

  it('every package an entry imports is a declared dependency or peer, not a dev dependency', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { default: string }>;
      bin: Record<string, string>;
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const entries = [...Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [] : [t.default])), ...Object.values(pkg.bin)];
    // A specifier's package: '@scope/name' or 'name', without a subpath.
    const packageOf = (spec: string) =>
      spec
        .split('/')
        .slice(0, spec.startsWith('@') ? 2 : 1)
        .join('/');
    const undeclared = entries.flatMap((entry) =>
      [...bareImports(resolve(ROOT, entry))].filter((spec) => !spec.startsWith('node:') && !declared.has(packageOf(spec))).map((spec) => `${entry}: ${spec}`),
    );
    expect(undeclared).toEqual([]);
  });
});
