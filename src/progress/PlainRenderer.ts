import type { Clock } from '../core/clock.js';
import type { Run } from '../core/Run.js';
import { formatAlert, formatLine, formatSummary, type LineStyle } from './formatLine.js';

/** Without a total, a line this often. */
const UNKNOWN_TOTAL_INTERVAL_MS = 30_000;

/**
 * For CI, pipes and log files: no escape codes, one plain line each time the
 * run crosses another `updateInterval` percent, and the summary once.
 */
export class PlainRenderer {
  private nextPercent: number;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: Run,
    private readonly stream: { write(chunk: string): boolean },
    private readonly clock: Clock,
    private readonly style: LineStyle,
    private readonly updateInterval: number,
    throttleMs: number,
    useTimer = true,
  ) {
    this.nextPercent = updateInterval;
    run.addListener({
      onChunkEnd: () => this.check(),
      onFinish: () => this.finish(),
      onAlert: (_run, alert) => this.stream.write(`${formatAlert(run, alert, style)}\n`),
    });
    if (useTimer) {
      // Loops that only tick() have no chunk boundaries: look on a timer instead.
      // Whatever a caller passed, nothing surfaces later on this timer.
      this.timer = setInterval(() => run.problems.guard('render', () => this.check(), undefined), Math.max(250, throttleMs));
      this.timer.unref();
    }
  }

  check(): void {
    if (!this.run.isActive) return;
    const now = this.clock.now();
    const progress = this.run.progress();
    if (progress === undefined) {
      if (now - this.lastLineAt >= UNKNOWN_TOTAL_INTERVAL_MS) this.print(now);
      return;
    }
    const percent = progress * 100;
    if (percent + 1e-9 >= this.nextPercent && percent < 100) {
      while (this.nextPercent <= percent + 1e-9) this.nextPercent += this.updateInterval;
      this.print(now);
    }
  }

  private print(now: number): void {
    this.lastLineAt = now;
    this.stream.write(`${formatLine(this.run, now, this.style, 200)}\n`);
  }

  private finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.stream.write(`${formatSummary(this.run, this.style, 400)}\n`);
  }
}
