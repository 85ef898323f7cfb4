import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SESSION = `batchtel-terminal-${process.pid}`;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);

async function until(predicate: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = screen();
    if (predicate(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`screen never matched within ${timeoutMs} ms; last screen:\n${text}`);
}

afterAll(() => {
  try {
    tmux('kill-session', '-t', SESSION);
  } catch {
    // already gone
  }
});

describe('the live bar in a real terminal (tmux)', () => {
  it('draws in place, keeps console.log output, prints the summary once', async () => {
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '20', `cd ${ROOT} && npx tsx test/fixtures/terminal-loop.ts; sleep 30`);
    const during = await until((text) => /Terminal check\s+█+░+\s+\d+%\s+\d+\/200/.test(text), 20_000);
    expect(during).toMatch(/\d+(\.\d+)?\/s/);
    const after = await until((text) => text.includes('DONE 200'), 30_000);
    const lines = after.split('\n').map((line) => line.trimEnd());
    expect(lines.filter((line) => line === 'hello from the loop')).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('✔ Terminal check, completed, 200/200 items'))).toHaveLength(1);
    // No live bar is left behind, and nothing overwrote the log line.
    expect(lines.some((line) => /Terminal check\s+█/.test(line))).toBe(false);
    expect(lines.indexOf('hello from the loop')).toBeLessThan(lines.findIndex((line) => line.startsWith('✔ Terminal check')));
  });
});
