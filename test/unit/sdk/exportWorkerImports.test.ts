import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** The modules a source file loads at run time: static imports that are not `import type`, and re-exports. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  return found;
}

/** Every package and built-in the file pulls in, following relative imports through the source tree. */
function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(entry);
  return packages;
}

describe('the export worker', () => {
  it('loads Node built-ins and the OpenTelemetry API only: it starts while the app makes its first records', () => {
    const packages = packagesLoadedBy(resolve(here, '../../../src/sdk/delivery/exportWorker.ts'));
    expect([...packages].filter((name) => !name.startsWith('node:') && name !== '@opentelemetry/api')).toEqual([]);
    // The walk does follow the delivery code: the transport's built-ins are found.
    expect(packages).toContain('node:zlib');
    expect(packages).toContain('node:http');
  });
});
