import type { Redis } from 'ioredis';
import type { ChunkOutcome } from './ChunkOutcome.js';
import type { ChunkRef } from './RunContext.js';

/**
 * Settles a chunk once: the chunk index goes into the run's chunk hash with
 * HSETNX, and only the first settlement adds its counts to the run's totals.
 * A chunk retried after a failure or after its worker died, or seen again by a
 * second follower, adds nothing the second time.
 * KEYS: run hash, chunk hash. ARGV: chunk index, chunk record, last event id
 * ('' for none), then field/increment pairs.
 */
const SETTLE = `
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
for i = 4, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'lastEventId', ARGV[3]) end
return 1
`;

/**
 * Takes a chunk job out of the queue's waiting lists and sets, and settles it
 * as skipped, in one step: either a worker took the job first (it is in none
 * of them: nothing happens) or no worker ever will. Its items wait in
 * `uncounted` for a follower to count them. BullMQ's own remove would also
 * remove a job a worker took and finished a moment before, whose items that
 * worker already counted.
 * KEYS: run hash, chunk hash, then the wait and paused lists, then the
 * delayed, prioritized and waiting-children sets. ARGV: job id, chunk index, size.
 */
const TAKE_WAITING = `
local taken = redis.call('LREM', KEYS[3], 1, ARGV[1]) + redis.call('LREM', KEYS[4], 1, ARGV[1])
for i = 5, 7 do taken = taken + redis.call('ZREM', KEYS[i], ARGV[1]) end
if taken == 0 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[2], '0,0,' .. ARGV[3]) == 0 then return 1 end
redis.call('HINCRBYFLOAT', KEYS[1], 'skipped', ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[1], 'settled', 1)
redis.call('HINCRBYFLOAT', KEYS[1], 'uncounted', ARGV[3])
return 1
`;

/**
 * Hands the items of removed chunks that no process has counted in its metrics
 * yet to the one caller, and zeroes them: of any number of followers, and
 * across their restarts, each item is taken once. KEYS: run hash. ARGV: field.
 */
const TAKE = `
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') or 0
if n <= 0 then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], ARGV[1], -n)
return n
`;

/**
 * Claims the run's end for one follower, as a lease: the claim key holds the
 * follower's token and expires unless renewed. Answers 'finished' (and the
 * result) once a finisher marked the run finished, 'held' while another
 * follower's lease runs, otherwise 'claimed' (a first claim, the caller's own,
 * or one taken over from a follower whose lease ran out).
 * KEYS: run hash, claim key. ARGV: token, lease (ms).
 */
const CLAIM_END = `
local done = redis.call('HGET', KEYS[1], 'finished')
if done then return {'finished', done} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'held', holder} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {'claimed', ARGV[1]}
`;

/** Extends the caller's lease; 0 when it is no longer the caller's. KEYS: claim key. ARGV: token, lease (ms). */
const RENEW_END = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * The finisher's last step, after its telemetry was flushed: the run's result
 * (first writer wins), the lease given up, and the run's keys set to expire.
 * KEYS: run hash, chunk hash, claim key. ARGV: token, result, retention (ms).
 */
const MARK_FINISHED = `
local first = redis.call('HSETNX', KEYS[1], 'finished', ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return first
`;

/** What a claim on the run's end found. */
export type EndClaim = { readonly state: 'claimed' } | { readonly state: 'held' } | { readonly state: 'finished'; readonly result: string };

/** Fields of the run hash: identity, progress of the enqueueing, totals. */
export const F = {
  name: 'name',
  operation: 'operation',
  category: 'category',
  service: 'service',
  total: 'total',
  startedAt: 'startedAt',
  traceparent: 'traceparent',
  chunks: 'chunks',
  enqueued: 'enqueued',
  cancelled: 'cancelled',
  /** The run's result, written only once its finisher's telemetry was flushed. */
  finished: 'finished',
  lastEventId: 'lastEventId',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  settled: 'settled',
  chunkMs: 'chunkMs',
  rateLimitHits: 'rateLimitHits',
  rateLimitMs: 'rateLimitMs',
  inputTokens: 'inputTokens',
  outputTokens: 'outputTokens',
  cost: 'cost',
  qualitySum: 'qualitySum',
  qualityCount: 'qualityCount',
  /** Items of removed chunks (a cancel) that no follower has counted in the items metric yet. */
  uncounted: 'uncounted',
  errorPrefix: 'error:',
} as const;

/** The run hash, read. Numbers are 0 when absent. */
export interface LedgerState {
  readonly exists: boolean;
  readonly name: string;
  readonly operation: string;
  readonly category: string | undefined;
  readonly service: string | undefined;
  readonly total: number | undefined;
  readonly startedAt: number;
  readonly traceparent: string;
  /** Chunks enqueued so far. */
  readonly chunks: number;
  /** Every chunk is on the queue (the enqueueing finished). */
  readonly enqueued: boolean;
  readonly cancelled: boolean;
  readonly finished: string | undefined;
  readonly lastEventId: string | undefined;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly settled: number;
  readonly chunkMs: number;
  readonly rateLimitHits: number;
  readonly rateLimitMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost: number;
  readonly qualitySum: number;
  readonly qualityCount: number;
  /** Items of removed chunks not yet counted in any process's items metric. */
  readonly uncounted: number;
  readonly errors: ReadonlyMap<string, number>;
}

/** Where one run's state lives in Redis: a small hash of totals, and a hash of settled chunk indices. */
export class RunLedger {
  readonly key: string;
  readonly chunksKey: string;
  /** The lease of the follower finishing the run (see {@link claimEnd}). */
  readonly endKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    queue: string,
    readonly runId: string,
  ) {
    this.key = `${prefix}:${queue}:batchtel:${runId}`;
    this.chunksKey = `${this.key}:chunks`;
    this.endKey = `${this.key}:end`;
  }

  async create(fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.key, fields);
  }

  async addChunks(n: number): Promise<void> {
    await this.redis.hincrby(this.key, F.chunks, n);
  }

  async setEnqueued(total: number): Promise<void> {
    await this.redis.hset(this.key, { [F.enqueued]: 1, [F.total]: total });
  }

  /** True when this call settled the chunk; false when it was settled before. */
  async settle(outcome: ChunkOutcome, lastEventId?: string): Promise<boolean> {
    const increments: (string | number)[] = [
      F.succeeded,
      outcome.succeeded,
      F.failed,
      outcome.failed,
      F.skipped,
      outcome.skipped,
      F.settled,
      1,
      F.chunkMs,
      Math.round(outcome.durationMs),
    ];
    for (const [type, n] of Object.entries(outcome.errors ?? {})) increments.push(F.errorPrefix + type, n);
    const usage = outcome.usage;
    if (usage && usage.inputTokens > 0) increments.push(F.inputTokens, usage.inputTokens);
    if (usage && usage.outputTokens > 0) increments.push(F.outputTokens, usage.outputTokens);
    if (usage && usage.cost > 0) increments.push(F.cost, usage.cost);
    if (outcome.quality && outcome.quality.count > 0) increments.push(F.qualitySum, outcome.quality.sum, F.qualityCount, outcome.quality.count);
    const record = `${outcome.succeeded},${outcome.failed},${outcome.skipped}`;
    const result = await this.redis.eval(SETTLE, 2, this.key, this.chunksKey, outcome.chunk, record, lastEventId ?? '', ...increments);
    return result === 1;
  }

  /**
   * Takes a chunk's job off the queue if no worker took it yet (`waitingKeys`:
   * the queue's wait and paused lists, then its delayed, prioritized and
   * waiting-children sets), its items settled as skipped and left for a
   * follower to count in the items metric, as no worker will. True when taken.
   */
  async takeWaiting(ref: ChunkRef, jobId: string, waitingKeys: readonly [string, string, string, string, string]): Promise<boolean> {
    return (await this.redis.eval(TAKE_WAITING, 7, this.key, this.chunksKey, ...waitingKeys, jobId, ref.chunk, ref.size)) === 1;
  }

  /** Takes the removed chunks' uncounted items (see {@link takeWaiting}); 0 when another caller took them. */
  async takeUncounted(): Promise<number> {
    const n = Number(await this.redis.eval(TAKE, 1, this.key, F.uncounted));
    return Number.isFinite(n) && n > 0 ? n : 0;
  }

  /** A 429 seen by a worker: counted when it happens (the chunk itself is retried and settles later). */
  async recordRateLimit(waitMs: number): Promise<void> {
    await this.redis
      .multi()
      .hincrby(this.key, F.rateLimitHits, 1)
      .hincrbyfloat(this.key, F.rateLimitMs, Math.max(0, Math.round(waitMs)))
      .exec();
  }

  async setLastEventId(id: string): Promise<void> {
    await this.redis.hset(this.key, F.lastEventId, id);
  }

  async cancel(): Promise<void> {
    await this.redis.hset(this.key, F.cancelled, 1);
  }

  async isCancelled(): Promise<boolean> {
    return (await this.redis.hget(this.key, F.cancelled)) === '1';
  }

  /** Claims the run's end for `token` for `leaseMs` (Redis's clock), unless it is finished or another lease runs. */
  async claimEnd(token: string, leaseMs: number): Promise<EndClaim> {
    const [state, value] = (await this.redis.eval(CLAIM_END, 2, this.key, this.endKey, token, Math.round(leaseMs))) as [string, string];
    if (state === 'finished') return { state, result: value };
    return state === 'claimed' ? { state } : { state: 'held' };
  }

  /** Extends `token`'s lease on the run's end; false when it ran out and another follower holds it. */
  async renewEnd(token: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW_END, 1, this.endKey, token, Math.round(leaseMs))) === 1;
  }

  /** Marks the run finished with `result` (the first mark wins; true for it), ends `token`'s lease; the run's keys expire after `retentionMs`. */
  async markFinished(token: string, result: string, retentionMs: number): Promise<boolean> {
    return (await this.redis.eval(MARK_FINISHED, 3, this.key, this.chunksKey, this.endKey, token, result, Math.round(retentionMs))) === 1;
  }

  /** Which of the chunk indices [from, to) are not settled yet. */
  async unsettled(from: number, to: number): Promise<number[]> {
    if (to <= from) return [];
    const indices = Array.from({ length: to - from }, (_, i) => from + i);
    const values = await this.redis.hmget(this.chunksKey, ...indices.map(String));
    return indices.filter((_, i) => values[i] === null);
  }

  async read(): Promise<LedgerState> {
    const h = await this.redis.hgetall(this.key);
    const num = (field: string): number => {
      const value = Number(h[field]);
      return Number.isFinite(value) ? value : 0;
    };
    const errors = new Map<string, number>();
    for (const [field, value] of Object.entries(h)) {
      if (field.startsWith(F.errorPrefix)) errors.set(field.slice(F.errorPrefix.length), Number(value) || 0);
    }
    return {
      exists: h[F.startedAt] !== undefined,
      name: h[F.name] ?? this.runId,
      operation: h[F.operation] ?? 'batch',
      category: h[F.category] || undefined,
      service: h[F.service] || undefined,
      total: h[F.total] === undefined || h[F.total] === '' ? undefined : num(F.total),
      startedAt: num(F.startedAt),
      traceparent: h[F.traceparent] ?? '',
      chunks: num(F.chunks),
      enqueued: h[F.enqueued] === '1',
      cancelled: h[F.cancelled] === '1',
      finished: h[F.finished],
      lastEventId: h[F.lastEventId],
      succeeded: num(F.succeeded),
      failed: num(F.failed),
      skipped: num(F.skipped),
      settled: num(F.settled),
      chunkMs: num(F.chunkMs),
      rateLimitHits: num(F.rateLimitHits),
      rateLimitMs: num(F.rateLimitMs),
      inputTokens: num(F.inputTokens),
      outputTokens: num(F.outputTokens),
      cost: num(F.cost),
      qualitySum: num(F.qualitySum),
      qualityCount: num(F.qualityCount),
      uncounted: num(F.uncounted),
      errors,
    };
  }
}
