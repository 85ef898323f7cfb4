import type { BatchRunResult } from '../semconv.js';
import type { Run } from '../core/Run.js';
import type { RunStatus } from '../core/runTypes.js';

/** Chunk ("batch") durations in milliseconds, from a fixed-size sketch. */
export interface DurationStats {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** What `finish()` returns and the server reports: the `createBatchProgress` stats and more. */
export interface BatchStats {
  readonly id: string;
  readonly name: string;
  readonly operation: string;
  readonly category: string | undefined;
  readonly service: string | undefined;
  readonly status: RunStatus;
  readonly result: BatchRunResult | undefined;
  readonly total: number | undefined;
  readonly processed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  /** 0..1, undefined when the total is unknown. */
  readonly progress: number | undefined;
  readonly durationMs: number;
  readonly itemsPerSecond: number;
  readonly avgItemTimeMs: number;
  readonly errors: number;
  readonly errorsByType: Readonly<Record<string, number>>;
  /** Failed items over processed items. */
  readonly errorRate: number;
  readonly rateLimitHits: number;
  readonly rateLimitWaitMs: number;
  readonly retries: number;
  /** Chunks done (the `createBatchProgress` name: a batch there is a chunk). */
  readonly batches: number;
  /** Chunks that ended in an error, after any retries (the `createBatchProgress` name). */
  readonly failedBatches: number;
  /** Chunk durations (the `createBatchProgress` name). */
  readonly batchTimes: DurationStats;
  /** How much slower the slowest chunk was than the fastest, in percent. */
  readonly deviationPercent: number;
  readonly qualityScore: number | undefined;
  readonly tokens: { readonly input: number; readonly output: number };
  readonly cost: number;
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly message: string | undefined;
}

export function buildStats(run: Run, nowMs: number = run.clock.now()): BatchStats {
  const s = run.stats;
  const d = s.chunkDurations;
  const processed = run.completed;
  const durationMs = run.elapsedMs(nowMs);
  return {
    id: run.id,
    name: run.descriptor.name,
    operation: run.descriptor.operation,
    category: run.descriptor.category,
    service: run.descriptor.service,
    status: run.status,
    result: run.summary?.result,
    total: run.total,
    processed,
    succeeded: run.succeeded,
    failed: run.failed,
    skipped: run.skipped,
    progress: run.progress(),
    durationMs,
    itemsPerSecond: round(run.itemsPerSecond(nowMs), 2),
    avgItemTimeMs: processed > 0 ? round(durationMs / processed, 3) : 0,
    errors: s.errors,
    errorsByType: Object.fromEntries(s.errorsByType),
    errorRate: processed > 0 ? round(run.failed / processed, 4) : 0,
    rateLimitHits: s.rateLimitHits,
    rateLimitWaitMs: s.rateLimitWaitMs,
    retries: s.retries,
    batches: s.chunks,
    failedBatches: s.failedChunks,
    batchTimes: {
      count: d.count,
      min: round(d.min, 3),
      max: round(d.max, 3),
      avg: round(d.mean, 3),
      p50: round(d.quantile(0.5), 3),
      p95: round(d.quantile(0.95), 3),
      p99: round(d.quantile(0.99), 3),
    },
    deviationPercent: round(d.spreadPercent ?? 0, 1),
    qualityScore: s.qualityScore,
    tokens: { input: s.tokensInput, output: s.tokensOutput },
    cost: round(s.cost, 6),
    startedAt: run.status === 'pending' ? undefined : run.startTimeMs,
    endedAt: run.isFinished ? run.endTimeMs : undefined,
    message: run.summary?.message,
  };
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
