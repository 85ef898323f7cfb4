import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { Problems } from '../../../src/core/problems.js';
import { Run } from '../../../src/core/Run.js';
import { formatDuration, formatLine, truncate } from '../../../src/progress/formatLine.js';
import { PlainRenderer } from '../../../src/progress/PlainRenderer.js';
import { TtyRenderer } from '../../../src/progress/TtyRenderer.js';

/** What the renderer writes to clear n rows it drew: line by line, upwards. */
const up = (n: number) => `\r${'\x1b[1A\x1b[2K'.repeat(n)}`;

const style = { progressChar: '█', emptyChar: '░', barLength: 10, displayErrors: true, color: false };

function makeRun(clock: ManualClock, name = 'Sync users', total: number | null = 100): Run {
  return new Run({
    descriptor: { id: name, name, operation: 'op', category: undefined, service: undefined, total: total ?? undefined, metadata: {} },
    clock,
    problems: new Problems(() => {}),
  });
}

/** A terminal stand-in that records every write. */
class FakeTty {
  columns = 80;
  output = '';
  listeners: Array<() => void> = [];
  write(chunk: string): boolean {
    this.output += chunk;
    return true;
  }
  on(_event: 'resize', listener: () => void) {
    this.listeners.push(listener);
  }
  off(_event: 'resize', listener: () => void) {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }
  resize(columns: number) {
    this.columns = columns;
    for (const listener of this.listeners) listener();
  }
  take(): string {
    const out = this.output;
    this.output = '';
    return out;
  }
}

/** A TTY renderer showing one started run, its first frame already taken. */
function showing(name: string): { clock: ManualClock; tty: FakeTty; renderer: TtyRenderer; run: Run } {
  const clock = new ManualClock(0);
  const tty = new FakeTty();
  const renderer = new TtyRenderer(tty, clock, style, 250, [], false);
  const run = makeRun(clock, name);
  run.start();
  renderer.add(run);
  tty.take();
  return { clock, tty, renderer, run };
}

describe('formatLine', () => {
  it('renders name, bar, percent, counts, rate, errors and the latest message', () => {
    const clock = new ManualClock(0);
    const run = makeRun(clock);
    run.start();
    run.add(40);
    clock.advance(4000);
    run.trackError(Object.assign(new Error('x'), { status: 429 }));
    run.setMessages(['Processing batch 5']);
    expect(formatLine(run, clock.now(), style, 200)).toBe('Sync users  ████░░░░░░   40%  40/100  10.0/s  ETA 6s (2s–18s)  1 err  1×429  Processing batch 5');
  });

  it('the ETA interval is wide until the estimator has measured its errors, then narrows', () => {
    const clock = new ManualClock(0);
    const run = makeRun(clock, 'Steady', 10_000);
    run.start();
    const seconds = (d: string) =>
      [...d.matchAll(/(\d+)([dhms])/g)].reduce((sum, [, n, u]) => sum + Number(n) * { d: 86400, h: 3600, m: 60, s: 1 }[u as 'd'], 0);
    const interval = () => {
      const line = formatLine(run, clock.now(), style, 200);
      const match = /ETA \S+(?: \((\S+)–(\S+)\))?/.exec(line);
      if (!match) throw new Error(line);
      return match[1] === undefined ? 1 : seconds(match[2]!) / seconds(match[1]);
    };
    for (let i = 0; i < 3; i++) {
      const chunk = run.beginChunk(50);
      clock.advance(5000);
      run.endChunk(chunk);
    }
    expect(interval()).toBeGreaterThan(8); // ×3 either side: nothing measured yet
    for (let i = 0; i < 60; i++) {
      const chunk = run.beginChunk(50);
      clock.advance(i % 2 === 0 ? 4000 : 6000);
      run.endChunk(chunk);
    }
    expect(interval()).toBeLessThan(2); // a steady pace, measured
  });

  it('shows elapsed time instead of an ETA when the total is unknown', () => {
    const clock = new ManualClock(0);
    const run = makeRun(clock, 'Stream', null);
    run.start();
    run.add(30);
    clock.advance(90_000);
    expect(formatLine(run, clock.now(), style, 200)).toBe('Stream  30  0.33/s  1m30s elapsed');
  });

  it('never exceeds the width, so lines never wrap', () => {
    expect(truncate('x'.repeat(50), 20)).toHaveLength(20);
    expect(truncate('\x1b[31mred text that is long\x1b[0m', 8).replace(/\x1b\[[0-9;]*m/g, '')).toHaveLength(8);
  });

  it('formats durations', () => {
    expect([formatDuration(42_000), formatDuration(75_000), formatDuration(3_725_000), formatDuration(Number.NaN)]).toEqual(['42s', '1m15s', '1h02m', '?']);
  });
});

describe('TtyRenderer', () => {
  it('draws a line per run in place and replaces it with the summary once', () => {
    const clock = new ManualClock(0);
    const tty = new FakeTty();
    const renderer = new TtyRenderer(tty, clock, style, 250, [], false);
    const a = makeRun(clock, 'A');
    const b = makeRun(clock, 'B');
    a.start();
    b.start();
    renderer.add(a);
    expect(tty.take()).toBe('A  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n');
    renderer.add(b);
    expect(tty.take()).toBe(up(1) + 'A  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n' + 'B  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n');
    a.add(50);
    clock.advance(5000);
    renderer.render();
    expect(tty.take()).toBe(up(2) + 'A  █████░░░░░   50%  50/100  10.0/s  ETA 5s (2s–15s)\n' + 'B  ░░░░░░░░░░    0%  0/100  0.00/s  5s elapsed\n');
    a.add(50);
    a.finish();
    expect(tty.take()).toBe(up(2) + '✔ A, completed, 100/100 items, 20.0/s, in 5s\n' + 'B  ░░░░░░░░░░    0%  0/100  0.00/s  5s elapsed\n');
    b.finish();
    expect(tty.take()).toBe(up(1) + '✔ B, completed, 0/100 items, 0.00/s, in 5s\n');
    b.finish();
    expect(tty.take()).toBe('');
  });

  it('keeps other output: it is printed above the block, which is redrawn below it', () => {
    const clock = new ManualClock(0);
    const tty = new FakeTty();
    const stdout = new FakeTty();
    const renderer = new TtyRenderer(tty, clock, style, 250, [stdout], false);
    const run = makeRun(clock, 'A');
    run.start();
    renderer.add(run);
    tty.take();
    run.add(10); // not shown until the next timer frame: other output only puts the last frame back
    stdout.write('hello from console.log\n');
    expect(stdout.take()).toBe('hello from console.log\n');
    expect(tty.take()).toBe(up(1) + 'A  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n');
    run.finish();
    // Once the block is gone, writes are the stream's own again.
    tty.take();
    stdout.write('after\n');
    expect(tty.take()).toBe('');
  });

  it('a line printed without its newline is never overwritten: the block waits below it', () => {
    const { tty, renderer, run } = showing('A');
    tty.write('Loading model... ');
    expect(tty.take()).toBe(up(1) + 'Loading model... ');
    tty.write('done\n');
    expect(tty.take()).toBe('done\n' + 'A  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n');
    // Left open for good: the next redraw ends that line first and draws below it.
    tty.write('no newline');
    tty.take();
    renderer.render();
    expect(tty.take()).toBe('\n' + 'A  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n');
    tty.write('again');
    tty.take();
    run.finish();
    expect(tty.take()).toBe('\n✔ A, completed, 0/100 items, 0.00/s, in 0s\n');
  });

  it('never draws a block taller than the terminal, and each run keeps its own bar style', () => {
    const clock = new ManualClock(0);
    const tty = new FakeTty();
    Object.assign(tty, { rows: 4 });
    const renderer = new TtyRenderer(tty, clock, style, 250, [], false);
    const runs = ['A', 'B', 'C', 'D', 'E'].map((name) => makeRun(clock, name));
    for (const run of runs) run.start();
    runs[0]!.add(50);
    renderer.add(runs[0]!, { ...style, progressChar: '#', emptyChar: '-' });
    for (const run of runs.slice(1)) renderer.add(run);
    tty.take();
    renderer.render();
    expect(tty.take()).toBe(
      up(3) + 'A  #####-----   50%  50/100  0.00/s  0s elapsed\n' + 'B  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n' + '… 3 more running\n',
    );
  });

  it('an alert prints one line above the block when it fires and one when it resolves', () => {
    const { clock, tty, run } = showing('A');
    const alert = {
      id: 'a:1',
      group: 'high_error_rate',
      severity: 'high',
      state: 'firing',
      message: 'error rate 23.0% above 10%',
      value: 0.23,
      threshold: 0.1,
      raisedAtMs: 0,
      resolvedAtMs: undefined,
    } as const;
    const open = { ...alert, state: 'firing' as 'firing' | 'resolved', resolvedAtMs: undefined as number | undefined };
    run.raiseAlert(open);
    expect(tty.take()).toBe(up(1) + '⚠ A: high_error_rate (high): error rate 23.0% above 10%\n' + 'A  ░░░░░░░░░░    0%  0/100  0.00/s  0s elapsed\n');
    clock.advance(75_000);
    open.state = 'resolved';
    open.resolvedAtMs = clock.now();
    run.resolveAlert(open);
    expect(tty.take()).toBe(up(1) + '✓ A: high_error_rate resolved after 1m15s\n' + 'A  ░░░░░░░░░░    0%  0/100  0.00/s  1m15s elapsed\n');
  });

  it('on resize, erases as many rows as the narrower terminal wrapped the old lines into', () => {
    const { tty } = showing('A run with a long name');
    tty.resize(30);
    const frame = tty.take();
    expect(frame.startsWith(up(3))).toBe(true); // 62 visible chars over 30 columns = 3 rows
    expect(frame.slice(up(3).length).split('\n')[0]!.length).toBeLessThanOrEqual(29);
  });
});

describe('TtyRenderer timing', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('redraws from its own timer at most every throttleMs, however many items go by', () => {
    vi.useFakeTimers();
    const clock = new ManualClock(0);
    const tty = new FakeTty();
    let writes = 0;
    const write = tty.write.bind(tty);
    tty.write = (chunk: string) => {
      writes++;
      return write(chunk);
    };
    const renderer = new TtyRenderer(tty, clock, style, 100, [], true);
    const run = makeRun(clock, 'A', 1_000_000);
    run.start();
    renderer.add(run);
    const afterAdd = writes;
    for (let i = 0; i < 500_000; i++) run.tick();
    expect(writes).toBe(afterAdd); // tick() never draws
    clock.advance(1000);
    vi.advanceTimersByTime(1000);
    expect(writes - afterAdd).toBe(10); // 1 s at 100 ms
    expect(tty.output).toContain('500000/1000000');
    run.finish();
    const afterFinish = writes;
    vi.advanceTimersByTime(1000);
    expect(writes).toBe(afterFinish); // timer gone with the last run
  });
});

describe('PlainRenderer', () => {
  it('prints one line each updateInterval percent and the summary once, without escape codes', () => {
    const clock = new ManualClock(0);
    const out = new FakeTty();
    const run = makeRun(clock, 'Import');
    new PlainRenderer(run, out, clock, style, 25, 250, false);
    run.start();
    for (let i = 0; i < 10; i++) {
      const chunk = run.beginChunk(10);
      clock.advance(1000);
      run.endChunk(chunk);
    }
    run.finish();
    const lines = out.take().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^Import  ███░░░░░░░   30%  30\/100  10.0\/s/);
    expect(lines[1]).toMatch(/50%  50\/100/);
    expect(lines[2]).toMatch(/80%  80\/100/);
    expect(lines[3]).toBe('✔ Import, completed, 100/100 items, 10.0/s, in 10s, chunk p50/p95/p99 1000/1000/1000 ms');
    expect(lines.join('')).not.toMatch(/\x1b/);
  });

  it('prints alert episodes as plain lines', () => {
    const clock = new ManualClock(0);
    const out = new FakeTty();
    const run = makeRun(clock, 'Import');
    // Like the alert evaluator in createRun: registered before the display, it closes open episodes at finish.
    run.addListener({ onFinish: (r) => r.resolveAlert({ ...r.activeAlerts.get('stalled')!, state: 'resolved', resolvedAtMs: r.endTimeMs }) });
    new PlainRenderer(run, out, clock, style, 25, 250, false);
    run.start();
    run.raiseAlert({
      id: 'i:1',
      group: 'stalled',
      severity: 'high',
      state: 'firing',
      message: 'no progress for 300 s',
      value: 300_000,
      threshold: 300_000,
      raisedAtMs: 0,
      resolvedAtMs: undefined,
    });
    expect(out.take()).toBe('⚠ Import: stalled (high): no progress for 300 s\n');
    clock.advance(2000);
    run.finish();
    expect(out.take().split('\n')[0]).toBe('✓ Import: stalled closed with the run after 2s');
  });
});
