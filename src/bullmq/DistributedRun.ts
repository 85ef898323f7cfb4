import type { RunContext } from './RunContext.js';

/** What one `enqueue` did. */
export interface EnqueueResult {
  /** Items enqueued. */
  readonly total: number;
  /** Chunk jobs enqueued. */
  readonly chunks: number;
  /** True when the run was cancelled while its items were being enqueued (the rest were not). */
  readonly cancelled: boolean;
}

/**
 * A distributed run, started: its context (to hand to any process) and the
 * enqueueing of its items as chunk jobs. `startRun` makes it.
 */
export interface DistributedRun {
  /** The run's ID: what `followRun` and the run's telemetry know it by. */
  readonly id: string;
  /** The run's identity and trace context, as every chunk job carries it (serialise it with `serializeRunContext`). */
  readonly context: RunContext;
  /**
   * Streams the items onto the queue, `chunkSize` per job and `bulkSize` jobs
   * per round trip; memory holds one bulk, whatever the run's size. Call once.
   */
  enqueue<T>(items: Iterable<T> | AsyncIterable<T>): Promise<EnqueueResult>;
  /** Removes the run's waiting chunk jobs and tells its active chunks to abort; the follower finishes it as cancelled. */
  cancel(): Promise<void>;
  /** Closes the ledger's own connection (not the queue's). */
  close(): Promise<void>;
}
