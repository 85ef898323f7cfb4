import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Everything users read: shipped code and its doc comments, the README, dashboards, alert rules, collector config, the benchmark output the README quotes. */
const roots = ['src', 'README.md', 'grafana', 'prometheus', 'collector-config', 'bench/events.ts'];
const skipDirs = new Set(['node_modules', 'dist', '.cache']);
const textFile = /\.(ts|mts|cts|js|mjs|json|ya?ml|md|txt|html|css|sh|promql|tmpl)$/;

function files(path: string): string[] {
  const stat = statSync(path);
  if (stat.isFile()) return textFile.test(path) ? [path] : [];
  return readdirSync(path).flatMap((name) => (skipDirs.has(name) ? [] : files(join(path, name))));
}

/**
 * "seed" as a reference to the requirement documents users never saw ("seed 004",
 * "Seed 001's tracker", "the seed API"). A random-number seed ("random seed",
 * `randomSeed`, `seeded(...)`) is not such a reference.
 */
const reference = /\bseed(?:s|'s|’s)?\b/gi;
const randomSeed = /random\s+$/i;

function references(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(reference)) {
      if (randomSeed.test(line.slice(0, m.index))) continue;
      found.push(`${i + 1}: ${line.trim()}`);
    }
  });
  return found;
}

describe('text users read', () => {
  it('tells a reference to the requirement documents from a random seed', () => {
    expect(references("the control API (seed 004)\nSeed 001's tracker\nthe seed's flag")).toHaveLength(3);
    expect(references('200 random seeds each\nrandomSeed: 1\nseeded(42)')).toEqual([]);
  });

  it('never refers to documents users never saw ("seed 00x")', () => {
    const hits = roots
      .flatMap((r) => files(join(root, r)))
      .flatMap((file) => references(readFileSync(file, 'utf8')).map((hit) => `${relative(root, file)}:${hit}`));
    expect(hits).toEqual([]);
  });
});
