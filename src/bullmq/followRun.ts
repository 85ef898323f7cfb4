/*
 * Over 350 lines on purpose: the follower's event, reconcile and finish paths
 * all move the same applied counters into one local run, and must see each
 * other's state to count every chunk once; the public shape is RunFollower.ts.
 */
import { randomUUID } from 'node:crypto';
import { context as contextApi, ROOT_CONTEXT } from '@opentelemetry/api';
import { QueueEvents, type ConnectionOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { buildStats, type BatchStats } from '../api/BatchStats.js';
import { runOptionsSchema, type RunOptionsInput } from '../api/options.js';
import { parseOptions as parseRunOptions } from '../core/parseOptions.js';
import { parseOptions } from '../sdk/parseOptions.js';
import { systemClock } from '../core/clock.js';
import { AlertEvaluator } from '../core/alerts/AlertEvaluator.js';
import type { EtaEstimate } from '../core/eta/index.js';
import { Problems } from '../core/problems.js';
import { Run } from '../core/Run.js';
import type { RunSummary } from '../core/runTypes.js';
import { defaultRegistry } from '../core/RunRegistry.js';
import { diagSink } from '../instrument/diagSink.js';
import { RunTelemetry, type RunTelemetryConfig } from '../instrument/RunTelemetry.js';
import { attachDisplay } from '../progress/attachDisplay.js';
import { BATCH_RUN_RESULT_VALUES, ERROR_TYPE_VALUES } from '../semconv.js';
import { cancelChunks } from './cancelRun.js';
import { parseChunkOutcome } from './ChunkOutcome.js';
import { errorTypeOfReason } from './ChunkFailedError.js';
import { flushProviders } from './flushProviders.js';
import { openRedis, type RedisConnection } from './redis.js';
import { RunLedger, type LedgerState } from './RunLedger.js';
import { chunkRefOf, parseTraceparent } from './RunContext.js';
import { prefixOf } from './startRun.js';
import type { RunFollower } from './RunFollower.js';

const PRESET_SLOT = Symbol.for('batchtel.presetSpanIds');
const RESULTS = Object.values(BATCH_RUN_RESULT_VALUES);
/** The longest the finisher waits for its telemetry to flush before it marks the run finished anyway (an endpoint that hangs is the SDK's to retry). */
const FLUSH_TIMEOUT_MS = 30_000;

const followSchema = z.strictObject({
  queue: z.custom<Queue>((value) => typeof value === 'object' && value !== null && typeof (value as Queue).getJob === 'function', {
    message: 'expected a BullMQ Queue',
  }),
  runId: z.string().min(1, 'expected the run ID'),
  /** How often the run's totals are read from Redis (ms); completions also trigger a read. */
  refreshMs: z.number().int().min(10).default(250),
  /** How often chunks that finished without an event (e.g. a trimmed event stream) are looked up by job state (ms). */
  reconcileMs: z.number().int().min(1000).default(30_000),
  /** How long the run's ledger stays in Redis after the run finished (ms). */
  retentionMs: z
    .number()
    .int()
    .min(1000)
    .default(7 * 24 * 3600_000),
  /**
   * How long the follower finishing the run holds its claim on the run's end
   * without renewing it (ms): if it dies before its run span and summary are
   * flushed, another follower takes the end over after this.
   */
  finishLeaseMs: z.number().int().min(1000).default(10_000),
  /** Redis connection for the ledger; defaults to the queue's connection settings. */
  connection: z.custom<RedisConnection>((value) => typeof value === 'object' && value !== null, { message: 'expected ioredis options or a client' }).optional(),
  /** Options of the local view, as for a local run (display, alerts, telemetry, registry, eta, metadata). */
  run: z
    .custom<Omit<RunOptionsInput, 'name' | 'total' | 'id' | 'operation' | 'category' | 'service'>>((value) => typeof value === 'object' && value !== null, {
      message: 'expected run options',
    })
    .optional(),
});
/** Options of `followRun`: the queue and the run to follow. */
export type FollowRunOptionsInput = z.input<typeof followSchema>;

/** The {@link RunFollower} `followRun` returns; not exported, so its constructor's internals stay out of the public surface. */
class Follower implements RunFollower {
  private readonly applied = {
    succeeded: 0,
    failed: 0,
    skipped: 0,
    settled: 0,
    chunkMs: 0,
    rateLimitHits: 0,
    rateLimitMs: 0,
    inputTokens: 0,
    outputTokens: 0,
    cost: 0,
  };
  private readonly appliedErrors = new Map<string, number>();
  private lastApplyAt: number;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The attempt to end the run in progress, one at a time; a new read tries again while another follower holds the end. */
  private ending: Promise<void> | undefined;
  private finisher = false;
  /** This follower's name in the claim on the run's end. */
  private readonly token = randomUUID();
  /** Items this follower counts in the items metric: those of chunks no worker counted (failed by stalling, removed by a cancel). Made on first use. */
  private tally: Run | undefined;
  private resolveDone!: (summary: RunSummary) => void;
  /**
   * Resolves with the summary when the last chunk settles (or the run is
   * cancelled and drained); in the follower that finishes the run, once its run
   * span and events were flushed, so the process may exit then.
   */
  readonly done: Promise<RunSummary>;

  /** @internal Made by {@link followRun}. */
  constructor(
    readonly run: Run,
    private readonly telemetry: RunTelemetry,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly redis: Redis,
    private readonly ledger: RunLedger,
    private readonly options: z.output<typeof followSchema>,
    private readonly telemetryConfig: RunTelemetryConfig,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.lastApplyAt = run.startTimeMs;
  }

  get id(): string {
    return this.run.id;
  }
  get signal(): AbortSignal {
    return this.run.signal;
  }
  /** Items settled so far, across every worker. */
  get completed(): number {
    return this.run.completed;
  }
  /**
   * True in the one follower that finished the run (it emitted the run span and
   * the summary); false in the others, which only show the final state.
   */
  get finishedHere(): boolean {
    return this.finisher;
  }
  /** The run's progress (0..1), undefined when its total is unknown. */
  progress(): number | undefined {
    return this.run.progress();
  }
  /** The ETA now, undefined until there is a pace. */
  eta(): EtaEstimate | undefined {
    return this.run.eta();
  }
  /** The stats so far, as a local run reports them. */
  stats(): BatchStats {
    return buildStats(this.run);
  }

  /** Cancels the run for every process: waiting chunks are removed, active ones abort. */
  async cancel(): Promise<void> {
    this.run.cancel();
    await cancelChunks(this.queue, this.ledger);
    await this.refresh();
  }

  /** Stops following (the run goes on); the local view is left as it is. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await this.refreshing?.catch(() => undefined);
    if (this.tally && !this.tally.isFinished) this.tally.finish();
    await this.events.close();
    this.redis.disconnect();
  }

  /** @internal Resolves once the totals in Redis are applied: a follower starts at the run's real count. */
  begin(): Promise<void> {
    this.events.on('completed', ({ jobId, returnvalue }, eventId) => {
      if (!this.isOurs(jobId)) return;
      const outcome = parseChunkOutcome(returnvalue);
      if (outcome)
        void this.ledger.settle(outcome, eventId).then(
          () => void this.refresh(),
          () => undefined,
        );
    });
    this.events.on('failed', ({ jobId, failedReason }, eventId) => {
      if (this.isOurs(jobId))
        void this.settleFailed(jobId, failedReason, eventId).then(
          () => void this.refresh(),
          () => undefined,
        );
    });
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs).unref();
    this.reconcileTimer = setInterval(() => void this.reconcile().catch(() => undefined), this.options.reconcileMs).unref();
    void this.reconcile().catch(() => undefined);
    return this.refresh();
  }

  private isOurs(jobId: string): boolean {
    return jobId.startsWith(`${this.id}-`);
  }

  /** A chunk that exhausted its attempts (or stalled too often): its items count as failed. */
  private async settleFailed(jobId: string, reason: string | undefined, eventId?: string): Promise<void> {
    const job = await this.queue.getJob(jobId);
    const ref = job ? chunkRefOf(job.data) : undefined;
    if (!ref) return;
    const handlerType = errorTypeOfReason(reason);
    const errorType = handlerType ?? (/stalled/i.test(reason ?? '') ? 'stalled' : ERROR_TYPE_VALUES.other);
    const first = await this.ledger.settle(
      {
        batchtel: 1,
        runId: ref.runId,
        chunk: ref.chunk,
        size: ref.size,
        succeeded: 0,
        failed: ref.size,
        skipped: 0,
        durationMs: 0,
        errors: { [errorType]: 1 },
      },
      eventId,
    );
    // A handler's last attempt counted its items in its worker; a chunk failed by BullMQ itself (stalled too
    // often) was counted by no one: the follower that settled it counts it, so the metric stays exact across processes.
    if (first && handlerType === undefined) this.tallyRun().add(ref.size, 'failure');
  }

  /**
   * Chunks a cancel removed from the queue: no worker saw them, so no worker
   * counted their items; the one follower that takes them from the ledger does
   * (with two followers, or one restarted, Redis hands each item out once).
   */
  private async countRemoved(): Promise<void> {
    const n = await this.ledger.takeUncounted().catch(() => 0);
    if (n > 0) this.tallyRun().add(n, 'skipped');
  }

  private tallyRun(): Run {
    if (!this.tally) {
      const run = new Run({ descriptor: this.run.descriptor, clock: this.run.clock, problems: new Problems(diagSink), etaMethod: 'none' });
      run.addListener(new RunTelemetry(run, { ...this.telemetryConfig, role: 'contributor' }));
      run.start();
      this.tally = run;
    }
    return this.tally;
  }

  /** Chunks that finished while nobody listened (or whose events were trimmed): settled from their job state. */
  private async reconcile(): Promise<void> {
    const { chunks } = await this.ledger.read();
    for (let from = 0; from < chunks && !this.closed; from += 200) {
      const open = await this.ledger.unsettled(from, Math.min(chunks, from + 200));
      const jobs = await Promise.all(open.map((index) => this.queue.getJob(`${this.id}-${index}`)));
      for (const job of jobs) {
        if (!job?.id) continue;
        if (job.finishedOn && job.returnvalue) {
          const outcome = parseChunkOutcome(job.returnvalue);
          if (outcome) await this.ledger.settle(outcome);
        } else if (job.finishedOn && job.failedReason && (await job.getState()) === 'failed') {
          await this.settleFailed(job.id, job.failedReason);
        }
      }
    }
    await this.refresh();
  }

  /** Reads the totals and applies what changed; one read at a time, the next one coalesced. */
  private refresh(): Promise<void> {
    if (this.closed || this.run.isFinished) return Promise.resolve();
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.ledger
      .read()
      .then(async (state) => {
        // Before the state applies: the run may finish in apply, and its tally with it.
        if (state.uncounted > 0) await this.countRemoved();
        this.apply(state);
      })
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = undefined;
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      });
    return this.refreshing;
  }

  private apply(state: LedgerState): void {
    const run = this.run;
    if (run.isFinished) return;
    const now = run.clock.now();
    const a = this.applied;
    const dSucceeded = state.succeeded - a.succeeded;
    const dFailed = state.failed - a.failed;
    const dSkipped = state.skipped - a.skipped;
    const dItems = dSucceeded + dFailed + dSkipped;
    const dSettled = state.settled - a.settled;
    if (dItems > 0 || dSettled > 0) {
      // The chunks settled since the last read, as one: their mean duration for the slowdown alert, the window's rate for throughput.
      const meanMs = dSettled > 0 ? Math.max(0, (state.chunkMs - a.chunkMs) / dSettled) : 0;
      const chunk = run.beginChunk(dItems, a.settled, now - meanMs);
      run.endChunk(chunk, { failed: dFailed, skipped: dSkipped, endTimeMs: now });
      if (now > this.lastApplyAt) run.stats.recordThroughput(now, (dItems * 1000) / (now - this.lastApplyAt));
      this.lastApplyAt = now;
    }
    for (const [type, count] of state.errors) {
      const seen = this.appliedErrors.get(type) ?? 0;
      // Bounded per read: the error ratio and the counts by type, not a replay of every error.
      for (let i = seen; i < Math.min(count, seen + 1000); i++) run.trackError({ name: type, message: type }, { type });
      this.appliedErrors.set(type, count);
    }
    const dHits = state.rateLimitHits - a.rateLimitHits;
    for (let i = 0; i < Math.min(dHits, 1000); i++) run.recordRateLimit((state.rateLimitMs - a.rateLimitMs) / dHits);
    const usage = { inputTokens: state.inputTokens - a.inputTokens, outputTokens: state.outputTokens - a.outputTokens, cost: state.cost - a.cost };
    if (usage.inputTokens > 0 || usage.outputTokens > 0 || usage.cost > 0) run.recordUsage(usage);
    Object.assign(a, {
      succeeded: state.succeeded,
      failed: state.failed,
      skipped: state.skipped,
      settled: state.settled,
      chunkMs: state.chunkMs,
      rateLimitHits: state.rateLimitHits,
      rateLimitMs: state.rateLimitMs,
      inputTokens: state.inputTokens,
      outputTokens: state.outputTokens,
      cost: state.cost,
    });
    run.observeProgress(now);
    if (state.cancelled && !run.signal.aborted) run.cancel();
    if (state.enqueued && state.settled >= state.chunks) this.ending ??= this.end(state).finally(() => (this.ending = undefined));
  }

  /**
   * One claim per run in Redis: of two followers (or one attached after the
   * end), only one finishes the run. The claim is a lease, so a finisher that
   * dies before its telemetry is flushed (and the run marked finished) hands
   * the end to the next follower whose read finds the lease run out.
   */
  private async end(state: LedgerState): Promise<void> {
    const ours = state.cancelled ? BATCH_RUN_RESULT_VALUES.cancellation : BATCH_RUN_RESULT_VALUES.success;
    const claim = await this.ledger.claimEnd(this.token, this.options.finishLeaseMs).catch(() => undefined);
    // Held (or Redis unreachable): the next read tries again, until the holder marks the run finished or its lease runs out.
    if (!claim || claim.state === 'held' || this.closed) return;
    if (claim.state === 'finished') {
      this.telemetry.release(this.run);
      this.settle(this.run.finish({ result: RESULTS.find((r) => r === claim.result) ?? ours }));
    } else {
      this.finisher = true;
      this.settle(await this.finishHere(ours));
    }
    await this.close();
  }

  /** Emits the run's end (run span, run event, duration), flushes it, then marks the run finished; the lease is renewed meanwhile. */
  private async finishHere(result: RunSummary['result']): Promise<RunSummary> {
    const leaseMs = this.options.finishLeaseMs;
    const renew = setInterval(() => void this.ledger.renewEnd(this.token, leaseMs).catch(() => false), leaseMs / 3).unref();
    try {
      const summary = this.run.finish({ result });
      if (this.tally && !this.tally.isFinished) this.tally.finish();
      // The mark only once the SDK holds the run's end: before that, a crash here would leave the run without it for good.
      await flushProviders(this.telemetryConfig, FLUSH_TIMEOUT_MS);
      await this.ledger.markFinished(this.token, result, this.options.retentionMs).catch(() => false);
      return summary;
    } finally {
      clearInterval(renew);
    }
  }

  private settle(summary: RunSummary): void {
    if (this.tally && !this.tally.isFinished) this.tally.finish();
    this.resolveDone(summary);
  }
}

/**
 * Follows a distributed run by its ID, from the process that started it or any
 * other, including one started after a follower died: the counts resume from
 * Redis. When the last chunk settles, the run finishes here: the summary, the
 * run span (with the IDs every chunk span already names as parent) and the
 * run's metrics.
 */
export async function followRun(input: FollowRunOptionsInput): Promise<RunFollower> {
  const options = parseOptions(followSchema, input, 'followRun options');
  const queue = options.queue;
  const redis = openRedis(options.connection ?? (queue.opts.connection as RedisConnection));
  const ledger = new RunLedger(redis, prefixOf(queue), queue.name, options.runId);
  const state = await ledger.read();
  if (!state.exists) {
    redis.disconnect();
    throw new Error(`batchtel: no distributed run ${options.runId} on queue ${queue.name} (start it with startRun)`);
  }
  const runOptions = parseRunOptions(
    runOptionsSchema,
    {
      ...options.run,
      id: options.runId,
      name: state.name,
      operation: state.operation,
      total: state.total,
      category: state.category,
      service: state.service,
    },
    'followRun options.run',
  );
  const run = new Run({
    descriptor: {
      id: options.runId,
      name: state.name,
      operation: state.operation,
      category: state.category,
      service: state.service,
      total: state.total,
      metadata: runOptions.metadata,
    },
    clock: runOptions.clock ?? systemClock,
    problems: new Problems(diagSink),
    etaMethod: runOptions.eta,
  });
  // The run span starts at the root: its trace is the one chosen when the run started.
  const telemetryConfig: RunTelemetryConfig = runOptions.telemetry;
  const telemetry = contextApi.with(ROOT_CONTEXT, () => new RunTelemetry(run, { ...telemetryConfig, role: 'coordinator' }));
  run.addListener(telemetry);
  if (runOptions.alerts.enabled) run.addListener(new AlertEvaluator(run, runOptions.alerts));
  (runOptions.registry ?? defaultRegistry).add(run);
  attachDisplay(run, runOptions);
  startWithPresetIds(run, state);
  const events = new QueueEvents(queue.name, {
    connection: queue.opts.connection as ConnectionOptions,
    prefix: queue.opts.prefix,
    // From where the last follower left off; from the stream's start for the first one.
    lastEventId: state.lastEventId ?? '0',
  });
  const follower = new Follower(run, telemetry, queue, events, redis, ledger, options, telemetryConfig);
  await follower.begin();
  return follower;
}

/**
 * Starts the local run at the run's real start, with the run span's IDs from
 * its traceparent when the SDK's ID generator honours them (`batchtel/sdk`
 * does); another SDK gives it fresh IDs, and chunk spans then name a parent
 * that only batchtel/sdk exports.
 */
function startWithPresetIds(run: Run, state: LedgerState): void {
  const span = parseTraceparent(state.traceparent);
  const slot = globalThis as Record<symbol, unknown>;
  if (span) slot[PRESET_SLOT] = { traceId: span.traceId, spanId: span.spanId };
  try {
    run.start(state.startedAt > 0 ? state.startedAt : undefined);
  } finally {
    delete slot[PRESET_SLOT];
  }
}
