/**
 * batchtel/bullmq: one batch run across many worker processes on BullMQ, with
 * one trace, one progress, one ETA, and every item counted once.
 * `startRun` enqueues, `chunkProcessor` wraps the worker's processor,
 * `followRun` gives any process the run's live view and final summary.
 */
export { startRun, DistributedRun, chunkJobId, type StartRunOptionsInput as StartRunOptions, type EnqueueResult } from './startRun.js';
export {
  chunkProcessor,
  workerOptions,
  ChunkFailedError,
  type ChunkProcessor,
  type ChunkProcessorOptions,
  type DistributedChunkContext,
  type DistributedChunkHandler,
} from './chunkProcessor.js';
export { followRun, RunFollower, type FollowRunOptionsInput as FollowRunOptions } from './followRun.js';
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
