import type { BatchRunResult } from '../semconv.js';
import type { Alert } from './alert.js';
import type { Clock } from './clock.js';
import type { ErrorInfo } from './errors.js';
import type { EtaMethod } from './eta/index.js';
import type { Problems } from './problems.js';
import type { Run } from './Run.js';

/** The shapes a run is described, fed and observed by; the state machine itself is Run.ts. */

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export type MetadataValue = string | number | boolean;

export interface RunDescriptor {
  readonly id: string;
  readonly name: string;
  readonly operation: string;
  readonly category: string | undefined;
  readonly service: string | undefined;
  readonly total: number | undefined;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

/** One chunk of work (a "batch" in `createBatchProgress`). Listeners may keep their own state in `slot`. */
export interface Chunk {
  readonly index: number;
  readonly size: number;
  readonly startTimeMs: number;
  endTimeMs: number;
  succeeded: number;
  failed: number;
  error: ErrorInfo | undefined;
  /** Opaque per-listener state (the instrumentation keeps its span here). */
  slot: unknown;
}

export interface RateLimitHit {
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
}

/** Where an item (a file) is: `completed`, `failed` and `skipped` count it as done. */
export type ItemStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'skipped';

export interface ItemProgress {
  readonly id: string;
  status: ItemStatus;
  /** 0..100, as the file-progress tracker reports it. */
  progress: number;
  stage: string | undefined;
  stageProgress: number | undefined;
  startTimeMs: number;
  slot: unknown;
}

export interface RunSummary {
  readonly result: BatchRunResult;
  readonly status: RunStatus;
  readonly durationMs: number;
  readonly errorType: string | undefined;
  readonly message: string | undefined;
}

/** Everything that wants to hear about a run: the OTel mapping, the terminal, the registry. */
export interface RunListener {
  onStart?(run: Run): void;
  onChunkStart?(run: Run, chunk: Chunk): void;
  onChunkEnd?(run: Run, chunk: Chunk): void;
  onError?(run: Run, error: ErrorInfo, chunk: Chunk | undefined): void;
  onRateLimit?(run: Run, hit: RateLimitHit, chunk: Chunk | undefined): void;
  onRetry?(run: Run, errorType: string): void;
  onQuality?(run: Run, score: number): void;
  onUsage?(run: Run, usage: { inputTokens: number; outputTokens: number; cost: number }): void;
  onItem?(run: Run, item: ItemProgress, previous: ItemStatus | undefined): void;
  onMessage?(run: Run, messages: readonly string[]): void;
  onAlert?(run: Run, alert: Alert): void;
  onFinish?(run: Run, summary: RunSummary): void;
}

export interface RunConfig {
  readonly descriptor: RunDescriptor;
  readonly clock: Clock;
  readonly problems: Problems;
  /** `none` skips ETA work entirely (the file-progress tracker's minimal mode). */
  readonly etaMethod?: EtaMethod | 'none';
  /**
   * Most time between ETA observations taken at chunk ends and on snapshots, so the
   * estimator is not paid per chunk of a fast loop. The interval is also at most
   * 1/128 of the time elapsed (but at least 1 ms): a run of seconds is observed as finely as one of hours.
   */
  readonly etaObserveIntervalMs?: number;
  /** With no `total`, the items registered through updateItem() are the total (the file tracker's way). */
  readonly totalFromItems?: boolean;
}
