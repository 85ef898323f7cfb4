import { buildStats, type BatchStats } from '../api/BatchStats.js';
import type { Run } from '../core/Run.js';
import type { RunStatus } from '../core/runTypes.js';
import { LIMITS, truncate } from './limits.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined || !(ms > 0) ? undefined : new Date(ms).toISOString());
const label = (text: string | undefined): string | undefined => (text === undefined ? undefined : truncate(text, LIMITS.label));

/** Error counts by type, the most frequent {@link LIMITS.errorTypes} with their types cut to {@link LIMITS.errorType}. */
function errorCounts(entries: Iterable<readonly [string, number]>): Array<[string, number]> {
  return [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, LIMITS.errorTypes)
    .map(([type, count]) => [truncate(type, LIMITS.errorType), count]);
}

const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** The ETA as the API reports it, or null while there is none (not running, no data yet). */
export interface EtaView {
  readonly method: string;
  readonly remainingMs: number;
  readonly completionTime: string;
  /** Prediction interval of the remaining time at `level`. */
  readonly interval: { readonly lowMs: number; readonly highMs: number; readonly level: number };
  readonly confidence: number;
}

/**
 * A run as the API reports it, plus what batchtel knows (ETA with interval and confidence).
 * Texts are cut to the server limits: name 256 characters, operation and category 128.
 */
export interface BatchView {
  readonly id: string;
  readonly name: string;
  readonly operation: string;
  readonly category: string | undefined;
  readonly status: RunStatus;
  /** Percent, 0..100; null when the total is unknown. */
  readonly progress: number | null;
  readonly created_at: string | undefined;
  readonly started_at: string | undefined;
  readonly completed_at: string | undefined;
  readonly total_items: number | undefined;
  readonly processed_items: number;
  readonly succeeded_items: number;
  readonly failed_items: number;
  readonly skipped_items: number;
  readonly items_per_second: number;
  readonly eta: EtaView | null;
}

/** What the board draws for one run; also the payload of every live event. */
export interface CardView extends BatchView {
  readonly errorsByType: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly rateLimitHits: number;
  readonly rateLimitWaitMs: number;
  readonly retries: number;
  /** Recent items/s, oldest first (chunk-level, at most 60 points). */
  readonly throughput: readonly number[];
  /** Chunk durations, ms. */
  readonly latency: { readonly p50: number; readonly p95: number; readonly p99: number; readonly count: number };
  readonly qualityScore: number | undefined;
}

export function etaView(run: Run, nowMs: number): EtaView | null {
  if (!run.isActive) return null;
  const eta = run.eta(nowMs);
  if (!eta) return null;
  return {
    method: eta.method,
    remainingMs: Math.round(eta.estimatedTimeRemainingMs),
    completionTime: new Date(eta.estimatedCompletionTime).toISOString(),
    interval: { lowMs: Math.round(eta.interval.lowMs), highMs: Math.round(eta.interval.highMs), level: eta.interval.level },
    confidence: round(eta.confidence, 3),
  };
}

export function batchView(run: Run, createdAtMs: number | undefined, nowMs: number = run.clock.now()): BatchView {
  const progress = run.progress();
  return {
    id: run.id,
    name: truncate(run.descriptor.name, LIMITS.name),
    operation: truncate(run.descriptor.operation, LIMITS.label),
    category: label(run.descriptor.category),
    status: run.status,
    progress: progress === undefined ? null : round(progress * 100, 1),
    created_at: iso(createdAtMs),
    started_at: run.status === 'pending' ? undefined : iso(run.startTimeMs),
    completed_at: run.isFinished ? iso(run.endTimeMs) : undefined,
    total_items: run.descriptor.total,
    processed_items: run.completed,
    succeeded_items: run.succeeded,
    failed_items: run.failed,
    skipped_items: run.skipped,
    items_per_second: round(run.itemsPerSecond(nowMs)),
    eta: etaView(run, nowMs),
  };
}

export function cardView(run: Run, createdAtMs: number | undefined, nowMs: number = run.clock.now()): CardView {
  const s = run.stats;
  const d = s.chunkDurations;
  return {
    ...batchView(run, createdAtMs, nowMs),
    errorsByType: Object.fromEntries(errorCounts(s.errorsByType)),
    errors: s.errors,
    rateLimitHits: s.rateLimitHits,
    rateLimitWaitMs: Math.round(s.rateLimitWaitMs),
    retries: s.retries,
    throughput: s.throughputHistory().map((p) => round(p.itemsPerSecond, 1)),
    latency: { p50: round(d.quantile(0.5), 1), p95: round(d.quantile(0.95), 1), p99: round(d.quantile(0.99), 1), count: d.count },
    qualityScore: s.qualityScore === undefined ? undefined : round(s.qualityScore, 3),
  };
}

/** GET /:id/results: the summary with performance metrics (items are not kept: memory follows concurrency, not run size). */
export function resultsView(run: Run, createdAtMs: number | undefined, nowMs: number = run.clock.now()) {
  const stats = boundedStats(buildStats(run, nowMs));
  const minutes = stats.durationMs / 60_000;
  return {
    ...batchView(run, createdAtMs, nowMs),
    summary: {
      total: stats.total ?? stats.processed,
      successful: stats.succeeded,
      failed: stats.failed,
      skipped: stats.skipped,
      qualityScore: stats.qualityScore,
      errorsByType: stats.errorsByType,
      rateLimitHits: stats.rateLimitHits,
      retries: stats.retries,
      tokens: stats.tokens,
      cost: stats.cost,
      performanceMetrics: {
        /** Mean chunk duration, ms. */
        averageDuration: stats.batchTimes.avg,
        totalDuration: Math.round(stats.durationMs),
        requestsPerMinute: minutes > 0 ? round(stats.batches / minutes) : 0,
        itemsPerSecond: stats.itemsPerSecond,
        p50Duration: stats.batchTimes.p50,
        p95Duration: stats.batchTimes.p95,
        p99Duration: stats.batchTimes.p99,
      },
    },
    stats,
  };
}

/** BatchStats with its texts cut to {@link LIMITS}. */
function boundedStats(stats: BatchStats): BatchStats {
  return {
    ...stats,
    name: truncate(stats.name, LIMITS.name),
    operation: truncate(stats.operation, LIMITS.label),
    category: label(stats.category),
    service: label(stats.service),
    errorsByType: Object.fromEntries(errorCounts(Object.entries(stats.errorsByType))),
    message: stats.message === undefined ? undefined : truncate(stats.message, LIMITS.errorText),
  };
}

/** GET /:id/viz: data for charts: overview, error and quality distributions, percentiles, throughput. */
export function vizView(run: Run, nowMs: number = run.clock.now()) {
  const stats = buildStats(run, nowMs);
  const s = run.stats;
  const errorTotal = s.errors;
  const qualityTotal = s.qualityCount;
  const total = stats.total ?? stats.processed;
  return {
    batchId: run.id,
    overview: {
      total,
      successful: stats.succeeded,
      failed: stats.failed,
      skipped: stats.skipped,
      pending: Math.max(0, total - stats.processed),
      successRate: stats.processed > 0 ? round(stats.succeeded / stats.processed, 4) : 0,
      averageDuration: stats.batchTimes.avg,
    },
    errorDistribution: errorCounts(s.errorsByType).map(([error, count]) => ({
      error,
      count,
      percentage: errorTotal > 0 ? round((count * 100) / errorTotal, 1) : 0,
    })),
    qualityDistribution: [...s.qualityBuckets]
      .map((count, i) => ({
        range: `${(i / 10).toFixed(1)}-${((i + 1) / 10).toFixed(1)}`,
        count,
        percentage: qualityTotal > 0 ? round((count * 100) / qualityTotal, 1) : 0,
      }))
      .reverse(),
    performanceMetrics: {
      averageDuration: stats.batchTimes.avg,
      p50Duration: stats.batchTimes.p50,
      p95Duration: stats.batchTimes.p95,
      p99Duration: stats.batchTimes.p99,
    },
    throughput: s.throughputHistory().map((p) => ({ time: new Date(p.timeMs).toISOString(), itemsPerSecond: round(p.itemsPerSecond, 1) })),
  };
}
