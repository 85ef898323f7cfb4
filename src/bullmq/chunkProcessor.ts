import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/api-logs';
import { QueueKeys, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChunkContext, ChunkResult } from '../api/trackBatch.js';
import { systemClock } from '../core/clock.js';
import type { ErrorInfo } from '../core/errors.js';
import { Problems } from '../core/problems.js';
import { Run } from '../core/Run.js';
import type { Chunk } from '../core/runTypes.js';
import { diagSink } from '../instrument/diagSink.js';
import { RunTelemetry } from '../instrument/RunTelemetry.js';
import { ATTR_BATCH_CHUNK_ATTEMPT, ATTR_BATCH_CHUNK_SIZE, SPAN_EVENT_CHUNK_RETRY } from '../semconv.js';
import type { ChunkOutcome } from './ChunkOutcome.js';
import { openRedis, type RedisConnection } from './redis.js';
import { RunLedger } from './RunLedger.js';
import { chunkRefOf, runSpanParent, type ChunkJobData, type ChunkRef } from './RunContext.js';
import { ChunkFailedError } from './ChunkFailedError.js';

/** What a distributed chunk's handler gets besides its items. */
export interface DistributedChunkContext extends ChunkContext {
  readonly runId: string;
  /** The BullMQ job that carries the chunk. */
  readonly job: Job;
  /** Records an error of one item (the item still counts by what the handler returns). */
  error(error: unknown, options?: { status?: number; type?: string }): void;
}

/** Your code for one chunk job of a distributed run: the items, and a context with the signal, error and quality reporting. */
export type DistributedChunkHandler<T> = (items: T[], context: DistributedChunkContext) => Promise<ChunkResult | void> | ChunkResult | void;

/** Options of `chunkProcessor`: where the run ledger lives on Redis. */
export interface ChunkProcessorOptions {
  /** The Redis the queue lives on (ioredis options or a client). */
  readonly connection: RedisConnection;
  /** BullMQ key prefix, if the queue uses one of its own. */
  readonly prefix?: string;
  /** How often active chunks look for a cancel of their run (ms). */
  readonly cancelPollMs?: number;
  /** Rate-limit pause when a 429 carries no Retry-After (ms). */
  readonly defaultRetryAfterMs?: number;
  readonly tracerProvider?: TracerProvider;
  readonly meterProvider?: MeterProvider;
  readonly loggerProvider?: LoggerProvider;
  /** Also emit a `batch.chunk.completed` log event per chunk, as a local run does (default off: the chunk span says the same). */
  readonly chunkEvents?: boolean;
  /**
   * Take BullMQ's per-job signal, so `Worker.cancelJob` aborts the handler's
   * signal (default true). `false` spares the AbortController BullMQ then makes
   * for every job (a few µs on Node 20, felt only by jobs that do next to
   * nothing); the handler's signal is then the run's alone.
   */
  readonly jobSignal?: boolean;
}

/**
 * A BullMQ processor function, and `close()` to finish this process's share of
 * the runs. It takes BullMQ's per-job signal (`Worker.cancelJob`; see the
 * `jobSignal` option): the handler's signal aborts on that or on the run's
 * cancel, whichever comes first.
 */
export interface ChunkProcessor<T> {
  (job: Job<ChunkJobData<T>>, token: string | undefined, signal: AbortSignal | undefined): Promise<ChunkOutcome>;
  /** Ends this process's share of the runs it worked on and closes its Redis connections; call it after the worker closes. */
  close(): Promise<void>;
}

/** This process's share of one run: a local run whose telemetry is chunk spans and counts, under the run's trace. */
interface Share {
  readonly run: Run;
  readonly telemetry: RunTelemetry;
  readonly ledger: RunLedger;
  /** One signal for all of this process's chunks of the run: a cancel aborts them all. */
  readonly controller: AbortController;
  /** The handler signals of active chunks that BullMQ can also cancel, aborted with the run. */
  readonly jobControllers: Set<AbortController>;
  active: number;
  cancelled: boolean;
}

/**
 * Wraps a chunk handler as a BullMQ processor. The handler gets its chunk; the
 * run gets a chunk span parented (across processes) to the run span, item
 * counts by outcome, errors by `error.type`, quality and usage. The job's
 * return value carries the chunk's counts for the follower.
 *
 * A 429 with Retry-After pauses the queue's rate limiter for that long (every
 * worker backs off) and puts the chunk back without using an attempt. BullMQ
 * holds that pause only in workers with a `limiter`: create the Worker with
 * {@link workerOptions}.
 */
export function chunkProcessor<T>(handler: DistributedChunkHandler<T>, options: ChunkProcessorOptions): ChunkProcessor<T> {
  const redis: Redis = openRedis(options.connection);
  const prefix = options.prefix ?? 'bull';
  const shares = new Map<string, Share>();
  const cancelPollMs = options.cancelPollMs ?? 250;
  const defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1000;
  let poll: NodeJS.Timeout | undefined;

  const shareOf = (ref: ChunkRef, queueName: string): Share => {
    let share = shares.get(ref.runId);
    if (!share) {
      const run = new Run({
        descriptor: { id: ref.runId, name: ref.name, operation: ref.operation, category: undefined, service: undefined, total: undefined, metadata: {} },
        clock: systemClock,
        problems: new Problems(diagSink),
        etaMethod: 'none',
      });
      const telemetry = new RunTelemetry(
        run,
        {
          tracerProvider: options.tracerProvider,
          meterProvider: options.meterProvider,
          loggerProvider: options.loggerProvider,
          // The follower owns the run's trace; chunk spans stay under the run span.
          maxChunksPerTrace: Number.MAX_SAFE_INTEGER,
          maxTraceAgeMs: Number.MAX_SAFE_INTEGER,
          itemSpanRatio: 0,
          // Off by default here: a distributed run has many chunks and each already has its span.
          chunkEvents: options.chunkEvents ?? false,
          exceptionSpanEvents: false,
          role: 'contributor',
        },
        runSpanParent(ref),
      );
      run.addListener(telemetry);
      run.start();
      const controller = new AbortController();
      const jobControllers = new Set<AbortController>();
      controller.signal.addEventListener('abort', () => {
        for (const c of jobControllers) c.abort(controller.signal.reason);
      });
      share = { run, telemetry, ledger: new RunLedger(redis, prefix, queueName, ref.runId), controller, jobControllers, active: 0, cancelled: false };
      poll ??= setInterval(() => void checkCancels(), cancelPollMs).unref();
      shares.set(ref.runId, share);
    }
    return share;
  };

  const keys = new QueueKeys(prefix);

  // One poll for all active chunks, whatever the job rate: a cancel costs no round trip per job.
  const checkCancels = async () => {
    for (const share of shares.values()) {
      if (share.active === 0 || share.cancelled) continue;
      if (await share.ledger.isCancelled().catch(() => false)) {
        share.cancelled = true;
        share.controller.abort(new Error(`run ${share.run.id} cancelled`));
      }
    }
  };

  // Three parameters: BullMQ passes its per-job signal only to processors that declare it.
  const processor = async (job: Job<ChunkJobData<T>>, _token: string | undefined, jobSignal: AbortSignal | undefined): Promise<ChunkOutcome> => {
    const ref = chunkRefOf(job.data);
    if (!ref) throw new ChunkFailedError('invalid_chunk', `job ${job.id ?? '?'} carries no batchtel chunk (enqueue chunks with startRun)`);
    const share = shareOf(ref, job.queueName);
    const run = share.run;
    if (share.cancelled) {
      run.add(ref.size, 'skipped');
      return outcomeOf(ref, 0, 0, ref.size, 0);
    }
    share.active++;
    // Counts go to the local run when the chunk settles, not when it opens: an attempt that is retried counts nothing.
    const chunk: Chunk = run.beginChunk(0, ref.chunk);
    const started = performance.now();
    // BullMQ counts every start, a stalled or rate-limited one too.
    const attempt = Math.max(job.attemptsMade + 1, job.attemptsStarted ?? 0);
    const context = new ChunkCall(ref, job, attempt, run, chunk, share, jobSignal);
    try {
      const span = share.telemetry.chunkSpan(chunk);
      span?.setAttribute(ATTR_BATCH_CHUNK_SIZE, ref.size);
      // A chunk seen before: failed earlier, or its worker died (BullMQ's stalled-job recovery).
      if (attempt > 1 || (job.stalledCounter ?? 0) > 0) {
        span?.addEvent(SPAN_EVENT_CHUNK_RETRY, { [ATTR_BATCH_CHUNK_ATTEMPT]: attempt });
        run.recordRetry();
      }
      const result = await share.telemetry.withChunk(chunk, () => handler(job.data.items, context));
      const failed = clampCount(result?.failed, ref.size);
      const skipped = clampCount(result?.skipped, ref.size - failed);
      const durationMs = performance.now() - started;
      run.endChunk(chunk, { failed });
      chunk.failed = failed;
      run.add(ref.size - failed - skipped);
      if (failed > 0) run.add(failed, 'failure');
      if (skipped > 0) run.add(skipped, 'skipped');
      const outcome = outcomeOf(ref, ref.size - failed - skipped, failed, skipped, durationMs, context.errors);
      if (result?.usage) {
        run.recordUsage(result.usage);
        outcome.usage = { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0, cost: result.usage.cost ?? 0 };
      }
      if (result?.quality !== undefined) {
        const scores = typeof result.quality === 'number' ? [result.quality] : result.quality;
        let sum = 0;
        let count = 0;
        for (const score of scores) {
          if (score >= 0 && score <= 1) {
            sum += score;
            count++;
          }
          run.recordQuality(score);
        }
        outcome.quality = { sum, count };
      }
      return outcome;
    } catch (error) {
      const durationMs = performance.now() - started;
      if (context.aborted) {
        // Cancelled (the run, or this job through Worker.cancelJob): the chunk's items are skipped, and the job completes.
        run.endChunk(chunk, {});
        run.add(ref.size, 'skipped');
        return outcomeOf(ref, 0, 0, ref.size, durationMs);
      }
      const info: ErrorInfo = run.trackError(error, { chunk });
      if (info.rateLimited) {
        const waitMs = info.retryAfterMs ?? defaultRetryAfterMs;
        run.endChunk(chunk, { error: info });
        // BullMQ's limiter is the queue's: every worker waits, not only the one that was told. This is
        // `queue.rateLimit(ms)` through a connection that is already up: the pause starts now, not after a connect.
        await redis.set(keys.toKey(job.queueName, 'limiter'), Number.MAX_SAFE_INTEGER, 'PX', Math.max(1, Math.round(waitMs)));
        await share.ledger.recordRateLimit(waitMs).catch(() => undefined);
        throw Worker.RateLimitError();
      }
      run.endChunk(chunk, { error: info });
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) run.add(ref.size, 'failure');
      throw new ChunkFailedError(info.errorType, info.message);
    } finally {
      share.active--;
      context.settle();
    }
  };

  const close = async (): Promise<void> => {
    if (poll) clearInterval(poll);
    for (const share of shares.values()) if (!share.run.isFinished) share.run.finish();
    shares.clear();
    redis.disconnect();
  };
  // BullMQ makes a per-job AbortController only for processors that declare a third parameter.
  const entry = options.jobSignal === false ? (job: Job<ChunkJobData<T>>, token?: string) => processor(job, token, undefined) : processor;
  return Object.assign(entry, { close });
}

/** A limiter that never limits by count: only the pause a 429 sets. */
const PAUSE_ONLY_LIMITER = { max: 2 ** 50, duration: 60_000 };

/**
 * Worker options for a wrapped processor: BullMQ honours a rate-limit pause
 * (`queue.rateLimit`) only in workers that have a `limiter`, so one that never
 * limits by count is added when the options have none.
 */
export function workerOptions<O extends WorkerOptions>(options: O): O {
  return options.limiter ? options : { ...options, limiter: PAUSE_ONLY_LIMITER };
}

function clampCount(value: unknown, max: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? Math.min(value, max) : 0;
}

type MutableOutcome = { -readonly [K in keyof ChunkOutcome]: ChunkOutcome[K] };

/** The job's return value; empty parts are left out (BullMQ stores it and publishes it on the event stream). */
function outcomeOf(ref: ChunkRef, succeeded: number, failed: number, skipped: number, durationMs: number, errors?: Record<string, number>): MutableOutcome {
  const outcome: MutableOutcome = {
    batchtel: 1,
    runId: ref.runId,
    chunk: ref.chunk,
    size: ref.size,
    succeeded,
    failed,
    skipped,
    durationMs: Math.round(durationMs),
  };
  if (errors !== undefined) outcome.errors = errors;
  return outcome;
}

/** A handler's context: one object per chunk, its signal made only when the handler reads it. */
class ChunkCall implements DistributedChunkContext {
  readonly index: number;
  readonly runId: string;
  /** Errors reported in the chunk by `error.type`, made on the first one. */
  errors: Record<string, number> | undefined;
  private own: AbortController | undefined;

  constructor(
    ref: ChunkRef,
    readonly job: Job,
    readonly attempt: number,
    private readonly run: Run,
    private readonly chunk: Chunk,
    private readonly share: Share,
    private readonly jobSignal: AbortSignal | undefined,
  ) {
    this.index = ref.chunk;
    this.runId = ref.runId;
  }

  /**
   * Aborts when the run is cancelled or BullMQ cancels this job (`Worker.cancelJob`).
   * A controller of its own that the run's cancel reaches through the share, not
   * AbortSignal.any: that costs several times more per job and keeps a listener on the run's signal.
   */
  get signal(): AbortSignal {
    const runSignal = this.share.controller.signal;
    const jobSignal = this.jobSignal;
    if (!jobSignal) return runSignal;
    if (!this.own) {
      const own = new AbortController();
      this.own = own;
      if (runSignal.aborted) own.abort(runSignal.reason);
      else if (jobSignal.aborted) own.abort(jobSignal.reason);
      else {
        this.share.jobControllers.add(own);
        jobSignal.addEventListener('abort', () => own.abort(jobSignal.reason), { once: true });
      }
    }
    return this.own.signal;
  }

  get aborted(): boolean {
    return this.share.controller.signal.aborted || this.jobSignal?.aborted === true;
  }

  /** The chunk is over: the run's cancel no longer reaches its signal. */
  settle(): void {
    if (this.own) this.share.jobControllers.delete(this.own);
  }

  // A field, not a method: handlers destructure it from the context.
  readonly error = (error: unknown, options: { status?: number; type?: string } = {}): void => {
    const info = this.run.trackError(error, { chunk: this.chunk, ...options });
    this.errors ??= {};
    this.errors[info.errorType] = (this.errors[info.errorType] ?? 0) + 1;
  };
}
