import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../../../grafana/src/dashboards.js';
import { createBatchProgress } from '../../../src/index.js';
import { pages } from '../../support/docPages.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Links and images with a relative target, outside code blocks. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'));
}

/** Links with a fragment, as [file, anchor] (file '' for the same page). */
function relativeLinksWithAnchors(text: string): Array<[string, string]> {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]*)#([^)\s]+)\)/g)].filter((m) => !/^[a-z]+:/i.test(m[1]!)).map((m) => [m[1]!, m[2]!]);
}

/** The anchors GitHub gives a page: each heading's slug (numbered when repeated) and every `<a id>`. */
function anchors(text: string): Set<string> {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, '');
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    found.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const m of prose.matchAll(/<a id="([^"]+)"><\/a>/g)) found.add(m[1]!);
  return found;
}

describe('the README and docs/', () => {
  it('the README is a front door: short, with the data-path diagram, the board and the bar', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    expect(readme).toMatch(/^```mermaid$/m);
    expect(readme).toContain('](docs/img/board.png)');
    expect(readme).toContain('](docs/img/terminal.svg)');
    expect(readme).toContain('npm run demo');
    expect(readme).toContain('npm test');
  });

  it.each(pages().map((page) => [relative(ROOT, page), page]))('%s: every relative link points to a file that exists', (_name, page) => {
    const missing = relativeLinks(readFileSync(page, 'utf8'))
      .map((target) => target.split('#')[0]!)
      .filter((target) => target !== '' && !existsSync(join(dirname(page), decodeURIComponent(target))));
    expect(missing).toEqual([]);
  });

  it.each(pages().map((page) => [relative(ROOT, page), page]))('%s: every anchor it links to exists', (_name, page) => {
    const missing = relativeLinksWithAnchors(readFileSync(page, 'utf8'))
      .filter(([file, anchor]) => {
        const target = file === '' ? page : join(dirname(page), decodeURIComponent(file));
        return target.endsWith('.md') && existsSync(target) && !anchors(readFileSync(target, 'utf8')).has(anchor);
      })
      .map(([file, anchor]) => `${file}#${anchor}`);
    expect(missing).toEqual([]);
  });

  it('docs/dashboards.md describes every panel of every dashboard, and no panel that is gone', () => {
    const page = readFileSync(join(ROOT, 'docs/dashboards.md'), 'utf8');
    const described = [...page.matchAll(/^- \*\*(.+?)\*\*:/gm)].map((m) => m[1]!).sort();
    const panels = Object.values(DASHBOARDS)
      .flatMap((d) => (d as { panels: { title: string }[] }).panels.map((p) => p.title))
      .sort();
    expect(described).toEqual(panels);
    for (const d of Object.values(DASHBOARDS)) expect(page).toContain(`## ${(d as { title: string }).title}`);
  });

  it('docs/configuration.md quotes the error a wrong option really gets', () => {
    const page = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    let message = '';
    try {
      createBatchProgress({ name: 'x', total: -1, barLenght: 3 } as never);
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/^TypeError: batchtel: /);
    expect(page).toContain(`\n${message}\n`);
  });

  it.each(pages().map((page) => [relative(ROOT, page), page]))('%s: every npm script and repository path it names exists', (_name, page) => {
    const text = readFileSync(page, 'utf8');
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = [...text.matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1]!);
    expect(named.filter((name) => !(name in scripts))).toEqual([]);
    const paths = [...text.matchAll(/`((?:src|test|scripts|bench|examples|grafana|prometheus|collector-config)\/[\w./-]+)`/g)].map((m) => m[1]!);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
