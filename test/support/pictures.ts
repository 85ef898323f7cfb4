import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The pictures in docs/img/ are made by the tests, never by hand. Each is
 * recorded next to it (`<name>.inputs.json`) with the hash of the files that
 * draw it; a unit test fails when those files changed since (the picture is
 * stale), and the test that makes the picture replaces it only then, so a
 * normal run leaves `git status` clean.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const IMG = join(ROOT, 'docs', 'img');

/** What draws each picture, relative to the repository root. */
export const PICTURES = {
  'board.png': {
    madeBy: 'test/e2e/board-picture.test.ts (npx vitest run --project e2e test/e2e/board-picture.test.ts)',
    inputs: ['src/server/board.ts', 'test/fixtures/board-picture.ts', 'test/e2e/board-picture.test.ts'],
  },
  'terminal.svg': {
    madeBy: 'test/integration/terminal.test.ts (npx vitest run --project integration test/integration/terminal.test.ts)',
    inputs: ['src/progress/TtyRenderer.ts', 'src/progress/formatLine.ts', 'test/fixtures/terminal-showcase.ts', 'test/support/terminalSvg.ts'],
  },
} as const;

export type PictureName = keyof typeof PICTURES;

interface Record {
  readonly inputs: readonly string[];
  readonly sha256: string;
}

/** The hash of the inputs as they are now: each path and its content, in order. */
export function inputsHash(name: PictureName): string {
  const hash = createHash('sha256');
  for (const path of PICTURES[name].inputs) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(ROOT, path)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const recordPath = (name: PictureName) => join(IMG, `${name}.inputs.json`);

/** The hash recorded next to the committed picture, if any. */
export function recordedHash(name: PictureName): string | undefined {
  const path = recordPath(name);
  if (!existsSync(path)) return undefined;
  return (JSON.parse(readFileSync(path, 'utf8')) as Record).sha256;
}

/**
 * Puts a freshly made picture (`made`, under test-output/) into docs/img/
 * when the committed one was drawn by other inputs; returns whether it did.
 */
export function publishPicture(name: PictureName, made: string): boolean {
  const sha256 = inputsHash(name);
  if (recordedHash(name) === sha256 && existsSync(join(IMG, name))) return false;
  copyFileSync(made, join(IMG, name));
  const record: Record = { inputs: PICTURES[name].inputs, sha256 };
  writeFileSync(recordPath(name), `${JSON.stringify(record, null, 2)}\n`);
  return true;
}
