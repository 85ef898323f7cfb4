import { ERROR_TYPE_VALUES } from '../semconv.js';
import { QuantileSketch } from './QuantileSketch.js';
import { RingCursor } from './RingCursor.js';

/** Distinct error types kept per run; the rest fold into `_OTHER` so memory stays flat. */
export const MAX_ERROR_TYPES = 64;
/** Throughput history points kept (the file-progress tracker's `throughputHistory`), oldest dropped. */
export const THROUGHPUT_HISTORY_SIZE = 60;

export interface ThroughputPoint {
  readonly timeMs: number;
  /** Items per second over the interval ending at timeMs. */
  readonly itemsPerSecond: number;
}

/**
 * Everything measured about a run that is not on the per-item path. Fixed
 * memory: a sketch for durations, bounded maps, a ring for history.
 */
export class RunStats {
  readonly chunkDurations = new QuantileSketch();
  private itemSketch: QuantileSketch | undefined;
  chunks = 0;
  failedChunks = 0;
  errors = 0;
  readonly errorsByType = new Map<string, number>();
  rateLimitHits = 0;
  rateLimitWaitMs = 0;
  retries = 0;
  qualityCount = 0;
  qualitySum = 0;
  /** Ten equal buckets over 0..1, for the control API's quality distribution. */
  readonly qualityBuckets = new Float64Array(10);
  tokensInput = 0;
  tokensOutput = 0;
  cost = 0;
  apiCalls = 0;
  apiCallsFailed = 0;
  peakThroughput = 0;
  /** Off in the file-progress tracker's minimal mode: no history, no peak. */
  keepHistory = true;
  private readonly historyTimes = new Float64Array(THROUGHPUT_HISTORY_SIZE);
  private readonly historyRates = new Float64Array(THROUGHPUT_HISTORY_SIZE);
  private readonly history = new RingCursor(THROUGHPUT_HISTORY_SIZE);

  /** Item durations exist only for item-level tracking; allocated on first use. */
  get itemDurations(): QuantileSketch {
    return (this.itemSketch ??= new QuantileSketch());
  }

  get hasItemDurations(): boolean {
    return this.itemSketch !== undefined;
  }

  /** Returns the error type as it will be counted (maybe folded into `_OTHER`). */
  countError(errorType: string): string {
    this.errors++;
    const known = this.errorsByType.get(errorType);
    if (known !== undefined) {
      this.errorsByType.set(errorType, known + 1);
      return errorType;
    }
    const key = this.errorsByType.size < MAX_ERROR_TYPES ? errorType : ERROR_TYPE_VALUES.other;
    this.errorsByType.set(key, (this.errorsByType.get(key) ?? 0) + 1);
    return key;
  }

  addQuality(score: number): void {
    this.qualityCount++;
    this.qualitySum += score;
    const bucket = Math.min(9, Math.floor(score * 10));
    this.qualityBuckets[bucket]! += 1;
  }

  get qualityScore(): number | undefined {
    return this.qualityCount === 0 ? undefined : this.qualitySum / this.qualityCount;
  }

  pushThroughput(point: ThroughputPoint): void {
    this.recordThroughput(point.timeMs, point.itemsPerSecond);
  }

  /** Per chunk: two numbers into fixed rings, no allocation. */
  recordThroughput(timeMs: number, itemsPerSecond: number): void {
    if (!this.keepHistory) return;
    if (itemsPerSecond > this.peakThroughput) this.peakThroughput = itemsPerSecond;
    const slot = this.history.advance();
    this.historyTimes[slot] = timeMs;
    this.historyRates[slot] = itemsPerSecond;
  }

  throughputHistory(): ThroughputPoint[] {
    const points: ThroughputPoint[] = [];
    for (let i = 0; i < this.history.count; i++) {
      const index = this.history.slot(i);
      points.push({ timeMs: this.historyTimes[index]!, itemsPerSecond: this.historyRates[index]! });
    }
    return points;
  }

  latestThroughput(): number | undefined {
    if (this.history.count === 0) return undefined;
    return this.historyRates[this.history.slot(this.history.count - 1)];
  }
}
