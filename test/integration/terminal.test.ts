import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inputsHash, publishPicture, recordedHash } from '../support/pictures.js';
import { terminalSvg } from '../support/terminalSvg.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SESSION = 'batchtel-terminal';
// Each test gets its own tmux server on a private socket: a server left over from the
// previous test (or anyone's default server) can still be exiting when the next one starts,
// and tmux then fails with "server exited unexpectedly".
let socket = '';
let tests = 0;

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
/** The screen and its scrollback: a stale frame pushed into history counts as garbage too. */
const everything = () => tmux('capture-pane', '-p', '-S', '-', '-t', SESSION);

/** A detached session of `columns` x `rows` running `command` in the repository; it stays open 30 s after, for the captures. */
function startSession(columns: number, rows: number, command: string): void {
  tmux('new-session', '-d', '-s', SESSION, '-x', String(columns), '-y', String(rows), `cd ${ROOT} && ${command}; sleep 30`);
}

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

/** Waits until the screen stops changing: what was written to the pty has been drawn. */
async function settled(): Promise<void> {
  let last = screen();
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = screen();
    if (now === last) return;
    last = now;
  }
  throw new Error(`screen never settled within 5 s; last screen:\n${last}`);
}

const MAIN_BAR = /Terminal check\s+█*░*\s+\d+%\s+\d+\/200/;
const SECOND_BAR = /Second job\s+█*░*\s+\d+%\s+\d+\/60/;

beforeAll(() => {
  // This test is the only one that looks at a real screen: without tmux it must fail, not skip.
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`tmux is required for the terminal test (apt-get install tmux): ${probe.error?.message ?? probe.stderr}`);
  }
});

function newServer(): void {
  socket = `batchtel-terminal-${process.pid}-${++tests}`;
}

function killServer(): void {
  if (!socket) return;
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
}

beforeEach(newServer);
afterEach(killServer);

// The fixtures run with CI unset: under CI, `display: 'auto'` prints plain lines by design
// (tested in the unit tests); here the point is the bar on a real terminal.
describe('the live bar in a real terminal (tmux)', () => {
  it('draws one line per concurrent run in place, survives a resize, keeps console.log output, prints each summary once', async () => {
    startSession(100, 20, 'seq 1 30 && env -u CI node --import tsx test/fixtures/terminal-loop.ts');
    const during = await until((text) => MAIN_BAR.test(text) && SECOND_BAR.test(text), 20_000);
    expect(during).toMatch(/\d+(\.\d+)?\/s/);
    const live = during.split('\n').filter((line) => MAIN_BAR.test(line) || SECOND_BAR.test(line));
    expect(live).toHaveLength(2); // each run keeps its own line

    // Narrow and widen the terminal while the bars are live, as in a session with a full screen (seq above):
    // tmux rewraps the lines, and the erase counts the rows they now take. The loop is stopped while
    // the terminal narrows: a frame still in the pty when the width changes is drawn at the new
    // width though it was measured at the old one, a race no renderer can see (the terminal's
    // reply to a cursor query would be the only witness), and that leaves a stale row.
    const panePid = Number(tmux('display-message', '-p', '-t', SESSION, '#{pane_pid}').trim());
    // Never 0 or 1: signalling -0 would stop this test's own process group.
    if (!Number.isInteger(panePid) || panePid <= 1) throw new Error(`tmux gave no pane process id (${panePid})`);
    const group = -panePid;
    process.kill(group, 'SIGSTOP');
    try {
      await settled();
      tmux('resize-window', '-t', SESSION, '-x', '60');
    } finally {
      process.kill(group, 'SIGCONT');
    }
    // Redrawn for the new width: one line per run, cut to fit (no wrapped remnants of the wide lines).
    const oneLineEach = (text: string) => {
      const rows = text.split('\n');
      return rows.filter((row) => row.startsWith('Terminal check')).length === 1 && rows.filter((row) => row.startsWith('Second job')).length === 1;
    };
    const narrow = await until((text) => oneLineEach(text) && text.split('\n').some((row) => row.startsWith('Terminal check') && row.endsWith('…')), 15_000);
    expect(narrow.split('\n').filter((row) => /^\s+\S/.test(row) && !row.startsWith('hello'))).toEqual([]);
    tmux('resize-window', '-t', SESSION, '-x', '100');

    await until((text) => text.includes('DONE 200 60'), 30_000);
    const lines = everything()
      .split('\n')
      .map((line) => line.trimEnd());
    expect(lines.filter((line) => line === 'hello from the loop')).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('✔ Terminal check, completed, 200/200 items'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('✔ Second job, completed, 60/60 items'))).toHaveLength(1);
    // No live bar is left behind, nothing overwrote the log line, nothing garbled.
    expect(lines.some((line) => /(Terminal check|Second job)\s+[█░]/.test(line))).toBe(false);
    expect(lines.indexOf('hello from the loop')).toBeLessThan(lines.findIndex((line) => line.startsWith('✔ Terminal check')));
    // Screen and scrollback hold the earlier output (seq), the log line, the summaries and DONE: nothing else.
    const text = lines.filter((line) => line !== '' && !/^\d+$/.test(line));
    expect(text).toEqual([
      'hello from the loop',
      expect.stringMatching(/^✔ Second job, completed, 60\/60 items/),
      expect.stringMatching(/^✔ Terminal check, completed, 200\/200 items/),
      'DONE 200 60',
    ]);
    expect(lines.filter((line) => /^\d+$/.test(line))).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
  });

  it('keeps every line of chatty stdout/stderr output and leaves no stale frame in the scrollback', async () => {
    startSession(80, 20, 'env -u CI node --import tsx test/fixtures/terminal-chatty.ts');
    await until((text) => text.includes('END'), 30_000);
    const lines = everything()
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line !== '');
    const logs = Array.from({ length: 50 }, (_, i) => Array.from({ length: 4 }, (_, j) => `log ${i}-${j}`)).flat();
    expect(lines.filter((line) => line.startsWith('log '))).toEqual(logs);
    expect(lines.filter((line) => line.startsWith('err '))).toEqual(['err 0', 'err 10', 'err 20', 'err 30', 'err 40']);
    expect(lines.filter((line) => !/^(log|err) /.test(line))).toEqual([expect.stringMatching(/^✔ Chatty, completed, 50\/50 items/), 'END']);
  });

  it('draws three concurrent runs with an alert above them: the capture in docs/img/terminal.svg', async () => {
    startSession(118, 9, 'clear && env -u CI SHOWCASE_SCALE=2 node --import tsx test/fixtures/terminal-showcase.ts');
    const bar = (name: string) => new RegExp(`^${name}\\s+█*░*\\s+(\\d+)%`, 'm');
    const pct = (text: string, name: string) => Number(bar(name).exec(text)?.[1] ?? -1);
    // All three runs live, the two with a total past a third, and the rate-limit alert printed above the bars.
    const live = await until(
      (text) =>
        pct(text, 'Processing transactions') >= 35 &&
        pct(text, 'Sync users to CRM') >= 35 &&
        /^Tail events\s+\d+/m.test(text) &&
        text.includes('⚠ Sync users to CRM: rate_limit'),
      30_000,
    );
    expect(live).toContain('console.log: checkpoint written after batch 9');
    expect(live).toMatch(/ETA \d/);
    await until((text) => text.includes('showcase done'), 30_000);

    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    const made = join(ROOT, 'test-output', 'terminal.svg');
    writeFileSync(made, terminalSvg(live));
    publishPicture('terminal.svg', made);
    expect(recordedHash('terminal.svg')).toBe(inputsHash('terminal.svg'));
  });
});
