/**
 * batchtel/bullmq: one batch run across many worker processes on BullMQ, with
 * one trace, one progress, one ETA, and every item counted once.
 * `startRun` enqueues, `chunkProcessor` wraps the worker's processor,
 * `followRun` gives any process the run's live view and final summary.
 */
export { startRun, chunkJobId, type StartRunOptionsInput as StartRunOptions } from './startRun.js';
export type { DistributedRun, EnqueueResult } from './DistributedRun.js';
export {
  chunkProcessor,
  workerOptions,
  type ChunkProcessor,
  type ChunkProcessorOptions,
  type DistributedChunkContext,
  type DistributedChunkHandler,
} from './chunkProcessor.js';
export { followRun, type FollowRunOptionsInput as FollowRunOptions } from './followRun.js';
export type { RunFollower } from './RunFollower.js';
// The types a follower's members name, so a caller can write them down.
export type { BatchStats } from '../api/BatchStats.js';
export type { RunView } from '../core/RunView.js';
export { ChunkFailedError } from './ChunkFailedError.js';
export { parseChunkOutcome, type ChunkOutcome } from './ChunkOutcome.js';
export {
  RUN_CONTEXT_ENV,
  parseRunContext,
  serializeRunContext,
  runContextFromEnv,
  runSpanParent,
  type RunContext,
  type ChunkRef,
  type ChunkJobData,
} from './RunContext.js';
export type { RedisConnection } from './redis.js';
