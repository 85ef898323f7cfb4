import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The pages users read: the README and every page under docs/ (not the generated API reference). */
export function pages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  return [join(ROOT, 'README.md'), ...docs];
}

export interface Block {
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string after the backticks, e.g. `ts` or `ts fragment`. */
  readonly info: string;
  readonly code: string;
}

/** Fenced code blocks of a Markdown text (``` fences only, the form these pages use). */
export function codeBlocks(page: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S.*)?$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    blocks.push({ page, line: start + 1, info: (open[1] ?? '').trim(), code: body.join('\n') });
  }
  return blocks;
}

/** Source files of the public entry points and everything under them (doc comments become the API reference). */
export function sourceFiles(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The code blocks of the `@example`s in a source file's doc comments, with the comment's ` * ` stripped. */
export function exampleBlocks(page: string, text: string): Block[] {
  const blocks: Block[] = [];
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    if (!comment[0].includes('@example')) continue;
    const line = text.slice(0, comment.index).split('\n').length;
    const body = comment[0]
      .slice(3, -2)
      .split('\n')
      .map((l) => l.replace(/^\s*\* ?/, ''))
      .join('\n');
    for (const block of codeBlocks(page, body)) blocks.push({ ...block, line: line + block.line - 1 });
  }
  return blocks;
}
