import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunOptionsInput } from '../../../src/api/options.js';
import { displayOptionsSchema } from '../../../src/progress/displayOptions.js';
import { ManualClock } from '../../../src/core/clock.js';
import { Problems } from '../../../src/core/problems.js';
import { Run } from '../../../src/core/Run.js';
import { attachDisplay } from '../../../src/progress/attachDisplay.js';
import { formatLine } from '../../../src/progress/formatLine.js';

/** What the renderer writes to clear n rows it drew: line by line, upwards. */
const up = (n: number) => `\r${'\x1b[1A\x1b[2K'.repeat(n)}`;

class Sink {
  output = '';
  columns = 80;
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.output += chunk;
    return true;
  }
  on() {}
  off() {}
}

function show(stream: Sink, display: RunOptionsInput['display'], result?: 'failure') {
  const clock = new ManualClock(0);
  const run = new Run({
    descriptor: { id: 'r', name: 'Job', operation: 'op', category: undefined, service: undefined, total: 10, metadata: {} },
    clock,
    problems: new Problems(() => {}),
  });
  attachDisplay(run, displayOptionsSchema.parse({ display, stream, updateInterval: 50 }));
  run.start();
  const chunk = run.beginChunk(10);
  run.trackError(new Error('boom'));
  clock.advance(1000);
  run.endChunk(chunk, { failed: 1 });
  run.finish(result ? { result } : {});
  return stream.output;
}

describe('attachDisplay', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('auto: the live bar on a TTY, redrawn in place', () => {
    vi.stubEnv('CI', '');
    vi.stubEnv('NO_COLOR', '');
    const out = show(new Sink(true), 'auto', 'failure');
    expect(out).toContain(up(1));
    expect(out).toContain('\x1b[31m✖ Job, failed'); // a failed run's summary in red
  });

  it('auto: plain lines without escape codes when the stream is not a TTY', () => {
    const out = show(new Sink(false), 'auto');
    expect(out).not.toMatch(/\x1b/);
    expect(out).toBe('✔ Job, completed, 10/10 items, 10.0/s, in 1s, 1 failed, errors Error×1, chunk p50/p95/p99 1000/1000/1000 ms\n');
  });

  it('auto under CI: plain lines even on a TTY', () => {
    vi.stubEnv('CI', 'true');
    expect(show(new Sink(true), 'auto')).not.toMatch(/\x1b/);
  });

  it('NO_COLOR: the bar still redraws in place, without colours', () => {
    vi.stubEnv('NO_COLOR', '1');
    const out = show(new Sink(true), 'tty', 'failure');
    expect(out).toContain(`${up(1)}✖ Job, failed`);
    expect(out).not.toMatch(/\x1b\[\d*m/);
  });

  it('auto on a terminal that reports no size (0×0): plain lines, not a bar squeezed to nothing', () => {
    vi.stubEnv('CI', '');
    const zero = Object.assign(new Sink(true), { columns: 0, rows: 0 });
    const out = show(zero, 'auto');
    expect(out).not.toMatch(/\x1b/);
    expect(out).toMatch(/^✔ Job, completed, 10\/10 items/);
  });

  it('skipped items are shown wherever items are counted', () => {
    const clock = new ManualClock(0);
    const run = new Run({
      descriptor: { id: 'r', name: 'Job', operation: 'op', category: undefined, service: undefined, total: 10, metadata: {} },
      clock,
      problems: new Problems(() => {}),
    });
    const sink = new Sink(false);
    attachDisplay(run, displayOptionsSchema.parse({ display: 'plain', stream: sink, updateInterval: 50 }));
    run.start();
    const chunk = run.beginChunk(10);
    clock.advance(1000);
    run.endChunk(chunk, { skipped: 3 });
    const style = { progressChar: '#', emptyChar: '-', barLength: 10, displayErrors: true, color: false };
    expect(formatLine(run, clock.now(), style, 200)).toMatch(/^Job  #+  100%  10\/10  3 skipped  /);
    run.finish({ result: 'cancellation' });
    expect(sink.output).toContain('■ Job, cancelled, 10/10 items, 10.0/s, in 1s, 3 skipped');
  });

  it('none: nothing at all', () => {
    expect(show(new Sink(true), 'none')).toBe('');
  });
});
