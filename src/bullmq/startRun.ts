import { randomBytes, randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseOptions } from '../sdk/parseOptions.js';
import { slug } from '../api/createRun.js';
import type { DistributedRun, EnqueueResult } from './DistributedRun.js';
import { cancelChunks } from './cancelRun.js';
import { openRedis, type RedisConnection } from './redis.js';
import { F, RunLedger } from './RunLedger.js';
import { formatTraceparent, type ChunkJobData, type RunContext } from './RunContext.js';

const queueSchema = z.custom<Queue>((value) => typeof value === 'object' && value !== null && typeof (value as Queue).addBulk === 'function', {
  message: 'expected a BullMQ Queue',
});

export const startRunOptionsSchema = z.strictObject({
  /** The queue the chunk jobs go to. */
  queue: queueSchema,
  name: z.string().min(1, 'expected a non-empty string'),
  /** Low-cardinality operation; defaults to a slug of the name. */
  operation: z.string().min(1).max(64).optional(),
  category: z.string().min(1).max(64).optional(),
  service: z.string().min(1).max(128).optional(),
  /** Item count when known up front (progress and ETA from the start); otherwise known once every item is enqueued. */
  total: z.number().int().min(0).optional(),
  /** A run ID of your own (letters, digits, `_` and `-`). */
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected 1 to 100 letters, digits, _ or -')
    .optional(),
  /** Items per chunk job (default 100). */
  chunkSize: z.number().int().min(1).max(100_000).optional(),
  /** Deprecated alias of `chunkSize` (a chunk is one slice of the run); `chunkSize` wins when both are given. */
  batchSize: z.number().int().min(1).max(100_000).optional(),
  /** Chunk jobs per `addBulk` call: what the enqueuer holds in memory at most, with `chunkSize`. */
  bulkSize: z.number().int().min(1).max(10_000).default(100),
  /** BullMQ job name of the chunk jobs. */
  jobName: z.string().min(1).default('batchtel.chunk'),
  /** BullMQ job options for every chunk job (attempts, backoff, removeOnComplete, …). */
  jobOptions: z.custom<JobsOptions>((value) => typeof value === 'object' && value !== null, { message: 'expected BullMQ job options' }).optional(),
  /** Redis connection for the run's ledger; defaults to the queue's own connection settings. */
  connection: z.custom<RedisConnection>((value) => typeof value === 'object' && value !== null, { message: 'expected ioredis options or a client' }).optional(),
});
export type StartRunOptionsInput = z.input<typeof startRunOptionsSchema>;

/** The defaults a chunk job gets unless `jobOptions` says otherwise. */
const JOB_DEFAULTS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  // Completed jobs are kept a while: a follower that missed their events rebuilds from them.
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The {@link DistributedRun} `startRun` returns; not exported, so its constructor's internals stay out of the public surface. */
class StartedRun implements DistributedRun {
  private enqueueing: Promise<EnqueueResult> | undefined;

  constructor(
    readonly context: RunContext,
    private readonly queue: Queue,
    private readonly redis: Redis,
    private readonly ledger: RunLedger,
    private readonly options: z.output<typeof startRunOptionsSchema>,
  ) {}

  get id(): string {
    return this.context.runId;
  }

  enqueue<T>(items: Iterable<T> | AsyncIterable<T>): Promise<EnqueueResult> {
    this.enqueueing ??= this.enqueueAll(items);
    return this.enqueueing;
  }

  async cancel(): Promise<void> {
    await cancelChunks(this.queue, this.ledger);
  }

  async close(): Promise<void> {
    await this.enqueueing?.catch(() => undefined);
    this.redis.disconnect();
  }

  private async enqueueAll<T>(items: Iterable<T> | AsyncIterable<T>): Promise<EnqueueResult> {
    const { bulkSize, jobName } = this.options;
    const chunkSize = this.options.chunkSize ?? this.options.batchSize ?? 100;
    const jobOptions = { ...JOB_DEFAULTS, ...this.options.jobOptions };
    let bulk: { name: string; data: ChunkJobData<T>; opts: JobsOptions }[] = [];
    let chunk: T[] = [];
    let index = 0;
    let total = 0;
    let cancelled = false;
    const flushChunk = () => {
      bulk.push({
        name: jobName,
        data: { items: chunk, batchtel: { ...this.context, chunk: index, size: chunk.length } },
        opts: { ...jobOptions, jobId: chunkJobId(this.id, index) },
      });
      index++;
      chunk = [];
    };
    const flushBulk = async (): Promise<boolean> => {
      if (bulk.length === 0) return true;
      // One HGET per bulk: a cancelled run stops enqueueing within one bulk.
      if (await this.ledger.isCancelled()) return false;
      await this.queue.addBulk(bulk);
      await this.ledger.addChunks(bulk.length);
      bulk = [];
      return true;
    };
    for await (const item of items) {
      chunk.push(item);
      total++;
      if (chunk.length >= chunkSize) {
        flushChunk();
        if (bulk.length >= bulkSize && !(await flushBulk())) {
          cancelled = true;
          break;
        }
      }
    }
    if (!cancelled) {
      if (chunk.length > 0) flushChunk();
      cancelled = !(await flushBulk());
    }
    const chunks = (await this.ledger.read()).chunks;
    // When cancelled, the total is what made it onto the queue: the rest was never part of the run.
    await this.ledger.setEnqueued(cancelled ? Math.min(total, chunks * chunkSize) : total);
    if (cancelled) await cancelChunks(this.queue, this.ledger);
    return { chunks, total: cancelled ? ((await this.ledger.read()).total ?? total) : total, cancelled };
  }
}

/** The BullMQ job ID of a run's chunk: deterministic, so a cancel finds waiting chunks without scanning the queue. */
export function chunkJobId(runId: string, index: number): string {
  return `${runId}-${index}`;
}

/** Where BullMQ keeps a queue's keys: batchtel keeps the run's ledger next to them. */
export function prefixOf(queue: Queue): string {
  return queue.opts.prefix ?? 'bull';
}

/**
 * Starts a distributed run: its identity and trace context are fixed here and
 * written to Redis, so any process can follow it, and every chunk job carries
 * them. Nothing is enqueued until `enqueue(items)`.
 */
export async function startRun(input: StartRunOptionsInput): Promise<DistributedRun> {
  const options = parseOptions(startRunOptionsSchema, input, 'startRun options');
  const runId = options.id ?? randomUUID();
  const context: RunContext = {
    v: 1,
    runId,
    name: options.name,
    operation: options.operation ?? slug(options.name),
    queue: options.queue.name,
    // The run span's IDs are chosen now: chunk spans in other processes name it as their parent before it exists.
    traceparent: formatTraceparent(randomBytes(16).toString('hex'), randomBytes(8).toString('hex')),
  };
  const redis = openRedis(options.connection ?? (options.queue.opts.connection as RedisConnection));
  const ledger = new RunLedger(redis, prefixOf(options.queue), options.queue.name, runId);
  const fields: Record<string, string | number> = {
    [F.name]: context.name,
    [F.operation]: context.operation,
    [F.traceparent]: context.traceparent,
    [F.startedAt]: Date.now(),
    [F.chunks]: 0,
  };
  if (options.total !== undefined) fields[F.total] = options.total;
  if (options.category !== undefined) fields[F.category] = options.category;
  if (options.service !== undefined) fields[F.service] = options.service;
  await ledger.create(fields);
  return new StartedRun(context, options.queue, redis, ledger, options);
}
