import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../../../grafana/src/dashboards.js';
import { pages } from '../../support/docPages.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Links and images with a relative target, outside code blocks. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'));
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

  it('docs/dashboards.md describes every panel of every dashboard, and no panel that is gone', () => {
    const page = readFileSync(join(ROOT, 'docs/dashboards.md'), 'utf8');
    const described = [...page.matchAll(/^- \*\*(.+?)\*\*:/gm)].map((m) => m[1]!).sort();
    const panels = Object.values(DASHBOARDS)
      .flatMap((d) => (d as { panels: { title: string }[] }).panels.map((p) => p.title))
      .sort();
    expect(described).toEqual(panels);
    for (const d of Object.values(DASHBOARDS)) expect(page).toContain(`## ${(d as { title: string }).title}`);
  });
});
