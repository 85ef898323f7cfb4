import type { Clock } from '../core/clock.js';
import type { Run } from '../core/Run.js';
import { formatAlert, formatLine, formatSummary, type LineStyle } from './formatLine.js';

export interface TtyStream {
  write(chunk: string): boolean;
  columns?: number;
  rows?: number;
  /** tty.WriteStream: the size right now (an ioctl), ahead of the 'resize' event. */
  getWindowSize?(): [number, number];
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

const visibleLength = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;
/** How long a foreign line without its newline may stay open before the block is drawn below it anyway. */
const PARTIAL_LINE_GRACE_MS = 1000;

/**
 * Keeps one line per active run at the bottom of a terminal, redrawn in place.
 * Redraws come from a timer (at most every `throttleMs`), never from the
 * loop, so the cost does not grow with the item rate. Other output written to
 * the terminal meanwhile is printed above the block, never overwritten.
 */
export class TtyRenderer {
  private readonly runs: Run[] = [];
  /** Each run's own bar characters and length; the renderer's style otherwise. */
  private readonly styles = new Map<Run, LineStyle>();
  /** Visible widths of the lines on screen, to know how many rows to erase. */
  private drawn: number[] = [];
  /** The last frame, put back as it was after other output: chatty logging costs a write, not a re-format. */
  private frame: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly unhooks: Array<() => void> = [];
  private inOwnWrite = false;
  /** When other output left a line without its newline: the block waits below it rather than overwrite it. */
  private partialSince: number | undefined;
  private readonly onResize = () => this.render();
  private readonly onTimer = () => {
    if (this.partialSince !== undefined && this.clock.now() - this.partialSince < PARTIAL_LINE_GRACE_MS) return;
    // Whatever a caller passed, nothing surfaces later on this timer.
    try {
      this.render();
    } catch (error) {
      this.runs[0]?.problems.report('telemetry_failed', `batchtel: the terminal line could not be drawn: ${String(error).slice(0, 200)}`);
    }
  };

  constructor(
    private readonly stream: TtyStream,
    private readonly clock: Clock,
    private readonly style: LineStyle,
    private readonly throttleMs: number,
    /** Other streams on the same terminal (stdout) whose writes must not be overwritten. */
    private readonly sharedStreams: TtyStream[] = [],
    private readonly useTimer = true,
  ) {}

  get active(): readonly Run[] {
    return this.runs;
  }

  add(run: Run, style: LineStyle = this.style): void {
    this.runs.push(run);
    this.styles.set(run, style);
    run.addListener({
      onFinish: () => this.finish(run),
      // Once per episode (the evaluator sees to that): a line above the block, kept in the scrollback.
      onAlert: (_run, alert) => this.note(formatAlert(run, alert, style)),
    });
    if (this.runs.length === 1) this.open();
    this.render();
  }

  /** Redraws every active line. */
  render(): void {
    if (this.runs.length === 0) return;
    const now = this.clock.now();
    const width = this.width();
    // Cursor-up cannot reach above the screen: a block taller than the terminal would smear.
    const room = Math.max(1, (this.size()[1] ?? Number.POSITIVE_INFINITY) - 1);
    const shown = this.runs.length <= room ? this.runs : this.runs.slice(0, room - 1);
    const lines = shown.map((run) => formatLine(run, now, this.styles.get(run) ?? this.style, width));
    if (shown.length < this.runs.length) lines.push(`… ${this.runs.length - shown.length} more running`);
    this.frame = lines;
    this.redraw();
  }

  /** Puts the last frame back below whatever was written since. */
  private redraw(): void {
    this.own(this.erase() + this.closePartial() + this.frame.map((line) => `${line}\n`).join(''));
    this.drawn = this.frame.map(visibleLength);
  }

  /** Prints one permanent line above the live block. */
  private note(line: string): void {
    if (this.runs.length === 0) {
      this.own(`${this.closePartial()}${line}\n`);
      return;
    }
    this.own(`${this.erase()}${this.closePartial()}${line}\n`);
    this.drawn = [];
    this.render();
  }

  /** Ends a foreign line left open, so the block below never overwrites it. */
  private closePartial(): string {
    if (this.partialSince === undefined) return '';
    this.partialSince = undefined;
    return '\n';
  }

  private finish(run: Run): void {
    const index = this.runs.indexOf(run);
    if (index < 0) return;
    this.runs.splice(index, 1);
    const style = this.styles.get(run) ?? this.style;
    this.styles.delete(run);
    // The summary takes the run's place above the remaining live lines, once.
    // Printed once and never redrawn: it may wrap, so it is not cut to the width.
    const summary = formatSummary(run, style, Number.POSITIVE_INFINITY);
    this.own(`${this.erase()}${this.closePartial()}${summary}\n`);
    this.drawn = [];
    if (this.runs.length === 0) this.close();
    else this.render();
  }

  private width(): number {
    return Math.max(20, (this.size()[0] ?? 80) - 1);
  }

  /**
   * The terminal's size now. A terminal that reflows on resize (tmux, VTE) has already rewrapped our
   * lines when the timer fires just before the 'resize' event arrives: asking the tty itself keeps
   * the erase from counting rows with the old width.
   */
  private size(): [number | undefined, number | undefined] {
    try {
      const size = this.stream.getWindowSize?.();
      if (size && size[0] > 0) return size;
    } catch {
      // not a real tty: fall back to the properties
    }
    return [this.stream.columns, this.stream.rows];
  }

  /** Clears what we drew, row by row upwards (counting rows a narrowed terminal wrapped). */
  private erase(): string {
    if (this.drawn.length === 0) return '';
    const columns = Math.max(1, this.size()[0] ?? 80);
    const rows = this.drawn.reduce((sum, width) => sum + Math.max(1, Math.ceil(width / columns)), 0);
    // Line by line, not "erase to end of screen": some terminals (tmux's scroll-on-clear) push a
    // whole-screen erase into the scrollback, which would leave a stale frame behind.
    return `\r${'\x1b[1A\x1b[2K'.repeat(rows)}`;
  }

  private own(text: string): void {
    this.inOwnWrite = true;
    try {
      this.stream.write(text);
    } finally {
      this.inOwnWrite = false;
    }
  }

  private open(): void {
    // The cursor stays visible (below the block): hiding it would need signal handlers to give it
    // back on Ctrl-C, and those change how the app's own SIGINT handling exits.
    for (const target of [this.stream, ...this.sharedStreams]) this.hook(target);
    this.stream.on?.('resize', this.onResize);
    if (this.useTimer) {
      this.timer = setInterval(this.onTimer, Math.max(16, this.throttleMs));
      this.timer.unref();
    }
  }

  private close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stream.off?.('resize', this.onResize);
    for (const unhook of this.unhooks.splice(0)) unhook();
  }

  /** Foreign writes: lift the block, let the text through, put the block back. */
  private hook(target: TtyStream): void {
    const original = target.write as Write;
    const renderer = this;
    const patched: Write = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      if (renderer.inOwnWrite || renderer.runs.length === 0) return original.call(this ?? target, chunk, ...rest);
      if (renderer.drawn.length > 0) renderer.own(renderer.erase());
      renderer.drawn = [];
      const result = original.call(this ?? target, chunk, ...rest);
      const text =
        typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString() : '';
      if (text.length === 0) return result;
      if (text.endsWith('\n')) {
        renderer.partialSince = undefined;
        renderer.redraw();
      } else {
        // A line without its newline stays open for its rest; the timer draws below it after a grace period.
        renderer.partialSince ??= renderer.clock.now();
      }
      return result;
    };
    target.write = patched as TtyStream['write'];
    this.unhooks.push(() => {
      if (target.write === (patched as TtyStream['write'])) target.write = original as TtyStream['write'];
    });
  }
}
