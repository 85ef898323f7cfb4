import {
  BATCH_RUN_RESULT_VALUES,
  ERROR_TYPE_VALUES,
  type BatchItemOutcome,
  type BatchRunResult,
} from '../semconv.js';
import type { Clock } from './clock.js';
import { classifyError, type ErrorInfo } from './errors.js';
import { createEstimator, type EtaCalculation, type EtaEstimator, type EtaMethod } from './eta/index.js';
import { Problems } from './problems.js';
import { RunStats } from './RunStats.js';
import type { Alert } from './alert.js';

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

/** One chunk of work (seed 000's "batch"). Listeners may keep their own state in `slot`. */
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

export type ItemStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'skipped';

export interface ItemProgress {
  readonly id: string;
  status: ItemStatus;
  /** 0..100, as seed 001. */
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
  /** `none` skips ETA work entirely (seed 001's minimal mode). */
  readonly etaMethod?: EtaMethod | 'none';
  /** Minimum time between ETA observations taken on snapshots, so the estimator state stays O(1) and cheap. */
  readonly etaObserveIntervalMs?: number;
}

const STATE_PENDING = 0;
const STATE_RUNNING = 1;
const STATE_DONE = 2;

/**
 * The run state machine: pending → running → completed | failed | cancelled.
 *
 * The per-item path (`tick`, `add`) only increments fields: no clock read, no
 * allocation, no listener call. Everything else happens at chunk boundaries,
 * on snapshots (renderer timer, metric collection) and at finish.
 */
export class Run {
  // Hot fields first: these are all tick() touches.
  private state = STATE_PENDING;
  succeeded = 0;
  failed = 0;
  skipped = 0;

  readonly stats = new RunStats();
  readonly descriptor: RunDescriptor;
  readonly clock: Clock;
  readonly problems: Problems;
  readonly abortController = new AbortController();
  startTimeMs = 0;
  endTimeMs = 0;
  lastMessages: readonly string[] = [];
  summary: RunSummary | undefined;
  /** Set by a fatal error; the run finishes as failed. */
  fatalError: ErrorInfo | undefined;
  readonly activeItems = new Map<string, ItemProgress>();
  readonly activeAlerts = new Map<string, Alert>();

  private readonly listeners: RunListener[] = [];
  private readonly estimator: EtaEstimator | undefined;
  private readonly etaObserveIntervalMs: number;
  private lastObservedAt = Number.NEGATIVE_INFINITY;
  private lastObservedCompleted = 0;
  private lastProgressAtMs = 0;
  private chunkCounter = 0;
  private overTotalReported = false;

  constructor(config: RunConfig) {
    this.descriptor = config.descriptor;
    this.clock = config.clock;
    this.problems = config.problems;
    const method = config.etaMethod ?? 'adaptive';
    this.estimator = method === 'none' ? undefined : createEstimator(method);
    this.etaObserveIntervalMs = config.etaObserveIntervalMs ?? 250;
  }

  get id(): string {
    return this.descriptor.id;
  }
  get signal(): AbortSignal {
    return this.abortController.signal;
  }
  get status(): RunStatus {
    if (this.state === STATE_PENDING) return 'pending';
    if (this.state === STATE_RUNNING) return 'running';
    return this.summary!.status;
  }
  get isActive(): boolean {
    return this.state === STATE_RUNNING;
  }
  get isFinished(): boolean {
    return this.state === STATE_DONE;
  }
  get completed(): number {
    return this.succeeded + this.failed + this.skipped;
  }

  addListener(listener: RunListener): void {
    this.listeners.push(listener);
  }

  /** `startTimeMs` (a hook for runs that began elsewhere, e.g. a follower of a distributed run) defaults to now. */
  start(startTimeMs?: number): void {
    if (this.state !== STATE_PENDING) {
      this.problems.report('call_after_finish', `batchtel: start() called on run ${this.id} that is already ${this.status}`);
      return;
    }
    this.state = STATE_RUNNING;
    this.startTimeMs = startTimeMs !== undefined && Number.isFinite(startTimeMs) ? startTimeMs : this.clock.now();
    this.lastProgressAtMs = this.startTimeMs;
    this.lastObservedAt = this.startTimeMs;
    this.estimator?.observe(this.startTimeMs, 0);
    this.emit('onStart', (l) => l.onStart?.(this));
  }

  // ---- the per-item path -------------------------------------------------

  /** One item done. The hot path: an increment and a branch. */
  tick(outcome?: BatchItemOutcome): void {
    if (this.state !== STATE_RUNNING) return this.inactiveCall('tick');
    if (outcome === undefined || outcome === 'success') this.succeeded++;
    else if (outcome === 'failure') this.failed++;
    else this.skipped++;
  }

  /** n items done at once. */
  add(n: number, outcome?: BatchItemOutcome): void {
    if (this.state !== STATE_RUNNING) return this.inactiveCall('add');
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER) || n !== Math.floor(n)) {
      this.problems.report('invalid_count', `batchtel: item count must be a whole number >= 0, got ${String(n)} (ignored)`);
      return;
    }
    if (outcome === undefined || outcome === 'success') this.succeeded += n;
    else if (outcome === 'failure') this.failed += n;
    else this.skipped += n;
  }

  // ---- chunks ----------------------------------------------------------------

  /** Opens a chunk now; call {@link endChunk} when it is done. */
  beginChunk(size: number, index?: number, startTimeMs?: number): Chunk {
    const chunk: Chunk = {
      index: index !== undefined && Number.isFinite(index) ? index : this.chunkCounter,
      size: this.validCount(size),
      startTimeMs: startTimeMs ?? this.clock.now(),
      endTimeMs: 0,
      succeeded: 0,
      failed: 0,
      error: undefined,
      slot: undefined,
    };
    this.chunkCounter = Math.max(this.chunkCounter, chunk.index + 1);
    if (this.state !== STATE_RUNNING) {
      this.inactiveCall('beginChunk');
      return chunk;
    }
    this.emit('onChunkStart', (l) => l.onChunkStart?.(this, chunk));
    return chunk;
  }

  /**
   * Closes a chunk: its items count as succeeded unless `failed` says otherwise.
   * Items are counted here, so a chunked loop needs no per-item calls at all.
   */
  endChunk(chunk: Chunk, result: { failed?: number; skipped?: number; error?: ErrorInfo; endTimeMs?: number } = {}): void {
    if (this.state !== STATE_RUNNING) return this.inactiveCall('endChunk');
    const end = result.endTimeMs ?? this.clock.now();
    chunk.endTimeMs = end;
    const failed = Math.min(this.validCount(result.failed ?? 0), chunk.size);
    const skipped = Math.min(this.validCount(result.skipped ?? 0), chunk.size - failed);
    chunk.failed = failed;
    chunk.succeeded = chunk.size - failed - skipped;
    chunk.error = result.error;
    this.succeeded += chunk.succeeded;
    this.failed += failed;
    this.skipped += skipped;
    const duration = end - chunk.startTimeMs;
    this.stats.chunks++;
    if (result.error) this.stats.failedChunks++;
    this.stats.chunkDurations.add(duration >= 0 ? duration : 0);
    if (chunk.size > 0 && duration > 0) {
      this.stats.recordThroughput(end, (chunk.size * 1000) / duration);
    }
    // At most one estimator observation per etaObserveIntervalMs: a loop of many
    // small chunks must not pay the estimator on each of them.
    this.observeProgress(end);
    this.emit('onChunkEnd', (l) => l.onChunkEnd?.(this, chunk));
  }

  /**
   * Seed 000's `completeBatch`: a chunk reported after the fact with its duration.
   * Bad durations are reported and replaced by 0 rather than thrown.
   */
  recordChunk(index: number, size: number, failedItems: number, durationMs: number | undefined): Chunk {
    const now = this.clock.now();
    let duration = 0;
    if (durationMs !== undefined) {
      if (Number.isFinite(durationMs) && durationMs >= 0) duration = durationMs;
      else this.problems.report('invalid_duration', `batchtel: chunk duration must be a finite number >= 0 ms, got ${String(durationMs)} (recorded as 0)`);
    }
    const chunk = this.beginChunk(size, index, now - duration);
    this.endChunk(chunk, { failed: failedItems, endTimeMs: now });
    return chunk;
  }

  // ---- errors, rate limits, usage ----------------------------------------------

  /**
   * Records a failure. Rate limiting (429) is detected from the error's shape;
   * `fatal` marks the run failed at finish.
   */
  trackError(
    error: unknown,
    options: { chunk?: Chunk | undefined; status?: number | undefined; type?: string | undefined; fatal?: boolean } = {},
  ): ErrorInfo {
    const info = classifyError(error, { status: options.status, type: options.type, nowMs: this.clock.now() });
    if (this.state === STATE_DONE) {
      this.inactiveCall('trackError');
      return info;
    }
    const counted = this.stats.countError(info.errorType);
    const finalInfo = counted === info.errorType ? info : { ...info, errorType: counted };
    this.emit('onError', (l) => l.onError?.(this, finalInfo, options.chunk));
    if (info.rateLimited) this.recordRateLimit(info.retryAfterMs, info.status, options.chunk);
    if (options.fatal) this.fatalError = finalInfo;
    return finalInfo;
  }

  recordRateLimit(retryAfterMs: number | undefined, status: number | undefined = 429, chunk?: Chunk): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordRateLimit');
    let wait = retryAfterMs;
    if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0)) {
      this.problems.report('invalid_duration', `batchtel: Retry-After must be a finite number >= 0 ms, got ${String(wait)} (ignored)`);
      wait = undefined;
    }
    this.stats.rateLimitHits++;
    if (wait !== undefined) this.stats.rateLimitWaitMs += wait;
    this.estimator?.observeRateLimitWait?.(this.clock.now(), this.stats.rateLimitWaitMs);
    const hit: RateLimitHit = { retryAfterMs: wait, status };
    this.emit('onRateLimit', (l) => l.onRateLimit?.(this, hit, chunk));
  }

  recordRetry(errorType: string = ERROR_TYPE_VALUES.other): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordRetry');
    this.stats.retries++;
    this.emit('onRetry', (l) => l.onRetry?.(this, errorType));
  }

  recordQuality(score: number): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordQuality');
    if (!(score >= 0 && score <= 1)) {
      this.problems.report('invalid_value', `batchtel: quality score must be within 0..1, got ${String(score)} (ignored)`);
      return;
    }
    this.stats.addQuality(score);
    this.emit('onQuality', (l) => l.onQuality?.(this, score));
  }

  recordUsage(usage: { inputTokens?: number; outputTokens?: number; cost?: number }): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordUsage');
    const inputTokens = this.validAmount(usage.inputTokens, 'inputTokens');
    const outputTokens = this.validAmount(usage.outputTokens, 'outputTokens');
    const cost = this.validAmount(usage.cost, 'cost');
    this.stats.tokensInput += inputTokens;
    this.stats.tokensOutput += outputTokens;
    this.stats.cost += cost;
    this.emit('onUsage', (l) => l.onUsage?.(this, { inputTokens, outputTokens, cost }));
  }

  recordApiCall(ok: boolean): void {
    this.stats.apiCalls++;
    if (!ok) this.stats.apiCallsFailed++;
  }

  setMessages(messages: readonly string[]): void {
    if (this.state === STATE_DONE) return this.inactiveCall('update');
    this.lastMessages = messages;
    this.emit('onMessage', (l) => l.onMessage?.(this, messages));
  }

  // ---- item-level tracking (seed 001 files) ----------------------------------------

  /**
   * Tracks one item through stages. Only active items are kept; a finished item
   * is counted and forgotten, so memory follows concurrency, not run size.
   */
  updateItem(id: string, update: { status?: ItemStatus; progress?: number; stage?: string; stageProgress?: number }): void {
    if (this.state !== STATE_RUNNING) return this.inactiveCall('updateItem');
    let item = this.activeItems.get(id);
    const previous = item?.status;
    if (!item) {
      item = { id, status: 'pending', progress: 0, stage: undefined, stageProgress: undefined, startTimeMs: this.clock.now(), slot: undefined };
      this.activeItems.set(id, item);
    }
    if (update.status !== undefined) item.status = update.status;
    if (update.progress !== undefined) {
      if (update.progress >= 0 && update.progress <= 100) item.progress = update.progress;
      else this.problems.report('invalid_value', `batchtel: item progress must be within 0..100, got ${String(update.progress)} (ignored)`);
    }
    if (update.stage !== undefined) item.stage = update.stage;
    if (update.stageProgress !== undefined) item.stageProgress = update.stageProgress;
    const done = item.status === 'completed' || item.status === 'failed' || item.status === 'skipped';
    if (done) {
      this.activeItems.delete(id);
      this.stats.itemDurations.add(Math.max(0, this.clock.now() - item.startTimeMs));
      if (item.status === 'completed') this.succeeded++;
      else if (item.status === 'failed') this.failed++;
      else this.skipped++;
    }
    this.emit('onItem', (l) => l.onItem?.(this, item, previous));
  }

  // ---- alerts (raised by evaluators, delivered to listeners) -------------------------

  raiseAlert(alert: Alert): void {
    this.activeAlerts.set(alert.group, alert);
    this.emit('onAlert', (l) => l.onAlert?.(this, alert));
  }

  resolveAlert(alert: Alert): void {
    this.activeAlerts.delete(alert.group);
    this.emit('onAlert', (l) => l.onAlert?.(this, alert));
  }

  // ---- progress, ETA -----------------------------------------------------------------

  /**
   * Feeds the estimator and the idle clock. Called at chunk ends and on snapshots,
   * never per item; `force` bypasses the minimum interval.
   */
  observeProgress(nowMs: number, force = false): void {
    if (this.state !== STATE_RUNNING) return;
    const completed = this.completed;
    if (completed !== this.lastObservedCompleted) this.lastProgressAtMs = nowMs;
    const total = this.descriptor.total;
    if (total !== undefined && completed > total && !this.overTotalReported) {
      this.overTotalReported = true;
      this.problems.report('over_total', `batchtel: run ${this.id} completed ${completed} items but total is ${total} (progress capped at 100%)`);
    }
    if (force || nowMs - this.lastObservedAt >= this.etaObserveIntervalMs) {
      if (completed !== this.lastObservedCompleted || force) this.estimator?.observe(nowMs, completed);
      this.lastObservedAt = nowMs;
      this.lastObservedCompleted = completed;
    }
  }

  /** Fraction done in 0..1, or undefined when the total is unknown. */
  progress(): number | undefined {
    const total = this.descriptor.total;
    if (total === undefined) return undefined;
    if (total === 0) return this.state === STATE_DONE ? 1 : 0;
    return Math.min(1, this.completed / total);
  }

  eta(nowMs: number = this.clock.now()): EtaCalculation | undefined {
    const total = this.descriptor.total;
    if (this.state !== STATE_RUNNING || total === undefined || !this.estimator) return undefined;
    this.observeProgress(nowMs);
    if (this.completed >= total) return undefined;
    return this.estimator.estimate(nowMs, total);
  }

  get etaMethod(): EtaMethod | undefined {
    return this.estimator?.method;
  }

  /** Milliseconds since progress was last seen (observation granularity, not per item). */
  idleTimeMs(nowMs: number = this.clock.now()): number {
    this.observeProgress(nowMs);
    return Math.max(0, nowMs - this.lastProgressAtMs);
  }

  elapsedMs(nowMs: number = this.clock.now()): number {
    if (this.state === STATE_PENDING) return 0;
    return Math.max(0, (this.state === STATE_DONE ? this.endTimeMs : nowMs) - this.startTimeMs);
  }

  itemsPerSecond(nowMs: number = this.clock.now()): number {
    const elapsed = this.elapsedMs(nowMs);
    return elapsed > 0 ? (this.completed * 1000) / elapsed : 0;
  }

  // ---- finish ------------------------------------------------------------------------------

  /**
   * Ends the run once. The result is taken from, in order: the caller, a fatal
   * error, an aborted signal, else success. A second call reports and returns
   * the first summary.
   */
  finish(options: { result?: BatchRunResult; error?: ErrorInfo; message?: string } = {}): RunSummary {
    if (this.state === STATE_DONE) {
      if (!this.fatalFinished) this.problems.report('finish_twice', `batchtel: finish() called twice on run ${this.id} (ignored)`);
      return this.summary!;
    }
    if (this.state === STATE_PENDING) {
      this.problems.report('call_before_start', `batchtel: run ${this.id} finished without start() (started now)`);
      this.start();
    }
    const now = this.clock.now();
    this.observeProgress(now, true);
    const error = options.error ?? this.fatalError;
    const result: BatchRunResult =
      options.result ??
      (this.fatalError
        ? BATCH_RUN_RESULT_VALUES.failure
        : this.signal.aborted
          ? BATCH_RUN_RESULT_VALUES.cancellation
          : BATCH_RUN_RESULT_VALUES.success);
    const status: RunStatus =
      result === BATCH_RUN_RESULT_VALUES.success
        ? 'completed'
        : result === BATCH_RUN_RESULT_VALUES.cancellation
          ? 'cancelled'
          : 'failed';
    const errorType =
      result === BATCH_RUN_RESULT_VALUES.success
        ? undefined
        : (error?.errorType ??
          (result === BATCH_RUN_RESULT_VALUES.cancellation
            ? ERROR_TYPE_VALUES.cancelled
            : result === BATCH_RUN_RESULT_VALUES.timeout
              ? ERROR_TYPE_VALUES.timeout
              : ERROR_TYPE_VALUES.other));
    this.endTimeMs = now;
    this.summary = { result, status, durationMs: now - this.startTimeMs, errorType, message: options.message };
    this.state = STATE_DONE;
    this.activeItems.clear();
    this.emit('onFinish', (l) => l.onFinish?.(this, this.summary!));
    return this.summary;
  }

  /** Ends the run now as failed with a fatal error (seed 000's `trackError(..., fatal=true)`). */
  finishFatal(error: ErrorInfo): void {
    this.fatalError = error;
    this.finish({ error });
    this.fatalFinished = true;
  }

  /** Asks the loop to stop; the helper finishes the run as cancelled. */
  cancel(reason?: string): void {
    if (this.state === STATE_DONE) return;
    this.abortController.abort(new CancelledError(reason ?? `run ${this.id} cancelled`));
  }

  // ---- internals -----------------------------------------------------------------------------

  private fatalFinished = false;

  private emit(name: keyof RunListener, call: (listener: RunListener) => void): void {
    for (const listener of this.listeners) {
      try {
        call(listener);
      } catch (error) {
        this.problems.report('callback_threw', `batchtel: a run listener threw in ${name}: ${String(error)}`);
      }
    }
  }

  private inactiveCall(what: string): void {
    if (this.state === STATE_PENDING) {
      this.problems.report('call_before_start', `batchtel: ${what}() called before start() on run ${this.id} (ignored)`);
    } else if (!this.fatalFinished) {
      this.problems.report('call_after_finish', `batchtel: ${what}() called after finish() on run ${this.id} (ignored)`);
    }
  }

  private validCount(n: number): number {
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER && n === Math.floor(n)) return n;
    this.problems.report('invalid_count', `batchtel: item count must be a whole number >= 0, got ${String(n)} (counted as 0)`);
    return 0;
  }

  private validAmount(value: number | undefined, field: string): number {
    if (value === undefined) return 0;
    if (value >= 0 && Number.isFinite(value)) return value;
    this.problems.report('invalid_value', `batchtel: ${field} must be a finite number >= 0, got ${String(value)} (ignored)`);
    return 0;
  }
}

/** The reason a run's signal carries when it is cancelled. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}
