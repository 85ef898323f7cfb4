/*
 * The run state machine. Over 350 lines on purpose: the per-item path and the
 * chunk, error, item and finish paths all write the same few hot counters, which
 * stay plain fields of one class so tick() is an increment. Its shapes are in
 * runTypes.ts, its input checks in runInput.ts, its ETA wiring in RunEtaFeed.ts.
 */
import { BATCH_RUN_RESULT_VALUES, ERROR_TYPE_VALUES, type BatchItemOutcome, type BatchRunResult } from '../semconv.js';
import type { Clock } from './clock.js';
import { clampWait } from './clock.js';
import { classifyError, type ErrorInfo } from './errors.js';
import { LIMITS, safeText } from './limits.js';
import type { EtaEstimate, EtaMethod } from './eta/index.js';
import { RunEtaFeed } from './RunEtaFeed.js';
import type { Problems } from './problems.js';
import { RunStats } from './RunStats.js';
import { CancelledError } from './CancelledError.js';
import { badOutcome, readItemUpdate, readOptions, validAmount, validCount } from './runInput.js';
import type { RunStatus, RunDescriptor, Chunk, RateLimitHit, ItemStatus, ItemProgress, RunSummary, RunListener, RunConfig } from './runTypes.js';
import type { Alert } from './alert.js';
import type { RunView } from './RunView.js';

const RESULTS: ReadonlySet<BatchRunResult> = new Set(Object.values(BATCH_RUN_RESULT_VALUES));

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
export class Run implements RunView {
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
  private readonly etaFeed: RunEtaFeed;
  private lastProgressAtMs = 0;
  private chunkCounter = 0;
  private overTotalReported = false;
  private readonly totalFromItems: boolean;

  constructor(config: RunConfig) {
    this.descriptor = config.descriptor;
    this.clock = config.clock;
    this.problems = config.problems;
    const method = config.etaMethod ?? 'adaptive';
    this.etaFeed = new RunEtaFeed(method, config.etaObserveIntervalMs ?? 250);
    this.totalFromItems = config.totalFromItems ?? false;
  }

  /** Items expected: the declared total, else (when so configured) the items registered so far. */
  get total(): number | undefined {
    const declared = this.descriptor.total;
    if (declared !== undefined || !this.totalFromItems) return declared;
    const registered = this.completed + this.activeItems.size;
    return registered > 0 ? registered : undefined;
  }

  get id(): string {
    return this.descriptor.id;
  }
  get name(): string {
    return this.descriptor.name;
  }
  get operation(): string {
    return this.descriptor.operation;
  }
  get category(): string | undefined {
    return this.descriptor.category;
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
    this.etaFeed.start(this.startTimeMs);
    this.emit('onStart', (l) => l.onStart?.(this));
  }

  // ---- the per-item path -------------------------------------------------

  /** One item done. The hot path: an increment and a branch. */
  tick(outcome?: BatchItemOutcome): void {
    if (this.state !== STATE_RUNNING) return this.inactiveCall('tick');
    if (outcome === undefined || outcome === 'success') this.succeeded++;
    else if (outcome === 'failure') this.failed++;
    else if (outcome === 'skipped') this.skipped++;
    else badOutcome(this.problems, outcome);
  }

  /** n items done at once. */
  add(n: number, outcome?: BatchItemOutcome): void {
    if (this.state !== STATE_RUNNING) return this.inactiveCall('add');
    if (typeof n !== 'number' || !(n >= 0 && n <= Number.MAX_SAFE_INTEGER) || n !== Math.floor(n)) {
      this.problems.report('invalid_count', `batchtel: item count must be a whole number >= 0, got ${safeText(n, 40)} (ignored)`);
      return;
    }
    if (outcome === undefined || outcome === 'success') this.succeeded += n;
    else if (outcome === 'failure') this.failed += n;
    else if (outcome === 'skipped') this.skipped += n;
    else badOutcome(this.problems, outcome);
  }

  // ---- chunks ----------------------------------------------------------------

  /** Opens a chunk now; call {@link endChunk} when it is done. */
  beginChunk(size: number, index?: number, startTimeMs?: number): Chunk {
    const chunk: Chunk = {
      index: typeof index === 'number' && Number.isSafeInteger(index) ? index : this.chunkCounter,
      size: validCount(this.problems, size),
      startTimeMs: typeof startTimeMs === 'number' && Number.isFinite(startTimeMs) ? startTimeMs : this.clock.now(),
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
    // Per chunk: the listeners are called directly, without the closure emit() takes.
    for (const listener of this.listeners) {
      if (listener.onChunkStart === undefined) continue;
      try {
        listener.onChunkStart(this, chunk);
      } catch (error) {
        this.listenerThrew('onChunkStart', error);
      }
    }
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
    const failed = Math.min(validCount(this.problems, result.failed ?? 0), chunk.size);
    const skipped = Math.min(validCount(this.problems, result.skipped ?? 0), chunk.size - failed);
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
    for (const listener of this.listeners) {
      if (listener.onChunkEnd === undefined) continue;
      try {
        listener.onChunkEnd(this, chunk);
      } catch (error) {
        this.listenerThrew('onChunkEnd', error);
      }
    }
  }

  /**
   * `completeBatch` of `createBatchProgress`: a chunk reported after the fact with its duration.
   * Bad durations are reported and replaced by 0 rather than thrown.
   */
  recordChunk(index: number, size: number, failedItems: number, durationMs: number | undefined): Chunk {
    const now = this.clock.now();
    let duration = 0;
    if (durationMs !== undefined) {
      if (typeof durationMs === 'number' && Number.isFinite(durationMs) && durationMs >= 0) duration = durationMs;
      else
        this.problems.report('invalid_duration', `batchtel: chunk duration must be a finite number >= 0 ms, got ${safeText(durationMs, 40)} (recorded as 0)`);
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
  trackError(error: unknown, options: { chunk?: Chunk | undefined; status?: number | undefined; type?: string | undefined; fatal?: boolean } = {}): ErrorInfo {
    const o = readOptions(this.problems, options, 'trackError', ['status', 'type', 'chunk', 'fatal']);
    const status = o['status'];
    const type = o['type'];
    if (status !== undefined && typeof status !== 'number')
      this.problems.report('invalid_value', `batchtel: an error's status must be a number, got ${safeText(status, 40)} (ignored)`);
    if (type !== undefined && typeof type !== 'string')
      this.problems.report('invalid_value', `batchtel: an error's type must be a string, got ${safeText(type, 40)} (ignored)`);
    const info = classifyError(error, {
      status: typeof status === 'number' ? status : undefined,
      type: typeof type === 'string' ? type : undefined,
      nowMs: this.clock.now(),
    });
    const chunk = o['chunk'] as Chunk | undefined;
    const fatal = o['fatal'] === true;
    if (this.state === STATE_DONE) {
      this.inactiveCall('trackError');
      return info;
    }
    const counted = this.stats.countError(info.errorType);
    const finalInfo = counted === info.errorType ? info : { ...info, errorType: counted };
    this.emit('onError', (l) => l.onError?.(this, finalInfo, chunk));
    if (info.rateLimited) this.recordRateLimit(info.retryAfterMs, info.status, chunk);
    if (fatal) this.fatalError = finalInfo;
    return finalInfo;
  }

  recordRateLimit(retryAfterMs: number | undefined, status: number | undefined = 429, chunk?: Chunk): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordRateLimit');
    let wait: number | undefined = retryAfterMs;
    if (wait !== undefined && !(typeof wait === 'number' && Number.isFinite(wait) && wait >= 0)) {
      this.problems.report('invalid_duration', `batchtel: Retry-After must be a finite number >= 0 ms, got ${safeText(wait, 40)} (ignored)`);
      wait = undefined;
    }
    // A wait asked for beyond the longest batchtel waits counts as that (one hour).
    if (wait !== undefined) wait = clampWait(wait);
    if (typeof status !== 'number') status = undefined;
    this.stats.rateLimitHits++;
    if (wait !== undefined) this.stats.rateLimitWaitMs += wait;
    this.etaFeed.observeRateLimitWait(this.clock.now(), this.stats.rateLimitWaitMs);
    const hit: RateLimitHit = { retryAfterMs: wait, status };
    this.emit('onRateLimit', (l) => l.onRateLimit?.(this, hit, chunk));
  }

  recordRetry(errorType: string = ERROR_TYPE_VALUES.other): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordRetry');
    let type = errorType;
    if (typeof type !== 'string' || type === '') {
      this.problems.report(
        'invalid_value',
        `batchtel: a retry's error type must be a non-empty string, got ${safeText(type, 40)} (counted as ${ERROR_TYPE_VALUES.other})`,
      );
      type = ERROR_TYPE_VALUES.other;
    }
    type = safeText(type, LIMITS.errorType);
    this.stats.retries++;
    this.emit('onRetry', (l) => l.onRetry?.(this, type));
  }

  recordQuality(score: number): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordQuality');
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
      this.problems.report('invalid_value', `batchtel: quality score must be within 0..1, got ${safeText(score, 40)} (ignored)`);
      return;
    }
    this.stats.addQuality(score);
    this.emit('onQuality', (l) => l.onQuality?.(this, score));
  }

  recordUsage(usage: { inputTokens?: number; outputTokens?: number; cost?: number }): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordUsage');
    const u = readOptions(this.problems, usage, 'usage', ['inputTokens', 'outputTokens', 'cost']);
    const inputTokens = validAmount(this.problems, u['inputTokens'], 'inputTokens');
    const outputTokens = validAmount(this.problems, u['outputTokens'], 'outputTokens');
    const cost = validAmount(this.problems, u['cost'], 'cost');
    if (inputTokens === 0 && outputTokens === 0 && cost === 0) return;
    this.stats.tokensInput += inputTokens;
    this.stats.tokensOutput += outputTokens;
    this.stats.cost += cost;
    this.emit('onUsage', (l) => l.onUsage?.(this, { inputTokens, outputTokens, cost }));
  }

  recordApiCall(ok: boolean): void {
    if (this.state === STATE_DONE) return this.inactiveCall('recordApiCall');
    this.stats.apiCalls++;
    if (!ok) this.stats.apiCallsFailed++;
  }

  /** Keeps the last LIMITS.messages messages, each as a string of at most LIMITS.message characters. */
  setMessages(messages: readonly string[]): void {
    if (this.state === STATE_DONE) return this.inactiveCall('update');
    let kept: string[];
    try {
      if (!Array.isArray(messages)) throw new TypeError(`expected an array of strings, got ${typeof messages}`);
      kept = messages.slice(-LIMITS.messages).map((m: unknown) => safeText(m, LIMITS.message));
    } catch (error) {
      this.problems.report('invalid_value', `batchtel: messages could not be read (${safeText(error, 120)}; ignored)`);
      return;
    }
    if (kept.length === 0) return;
    this.lastMessages = kept;
    this.emit('onMessage', (l) => l.onMessage?.(this, kept));
  }

  // ---- item-level tracking (files) ---------------------------------------------------

  /**
   * Tracks one item through stages. Only active items are kept; a finished item
   * is counted and forgotten, so memory follows concurrency, not run size.
   */
  updateItem(rawId: string, rawUpdate: { status?: ItemStatus; progress?: number; stage?: string; stageProgress?: number } = {}): void {
    if (this.state !== STATE_RUNNING) return this.inactiveCall('updateItem');
    if (typeof rawId !== 'string' && typeof rawId !== 'number') {
      this.problems.report('invalid_value', `batchtel: an item id must be a string, got ${safeText(rawId, 40)} (ignored)`);
      return;
    }
    const id = safeText(rawId, LIMITS.itemId);
    const update = readItemUpdate(this.problems, rawUpdate);
    let item = this.activeItems.get(id);
    const previous = item?.status;
    if (!item) {
      item = { id, status: 'pending', progress: 0, stage: undefined, stageProgress: undefined, startTimeMs: this.clock.now(), slot: undefined };
      this.activeItems.set(id, item);
    }
    if (update.status !== undefined) item.status = update.status;
    if (update.progress !== undefined) item.progress = update.progress;
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
    if (completed !== this.etaFeed.lastCompleted) this.lastProgressAtMs = nowMs;
    const total = this.total;
    if (total !== undefined && completed > total && !this.overTotalReported) {
      this.overTotalReported = true;
      this.problems.report('over_total', `batchtel: run ${this.id} completed ${completed} items but total is ${total} (progress capped at 100%)`);
    }
    this.etaFeed.observe(nowMs, nowMs - this.startTimeMs, completed, force);
  }

  /** Fraction done in 0..1, or undefined when the total is unknown. */
  progress(): number | undefined {
    const total = this.total;
    if (total === undefined) return undefined;
    if (total === 0) return this.state === STATE_DONE ? 1 : 0;
    return Math.min(1, this.completed / total);
  }

  /**
   * The ETA now: from the last observation (a fresh one at most every observation
   * interval, or now when `fresh`), brought up to the items done and the time passed.
   */
  eta(nowMs: number = this.clock.now(), fresh = false): EtaEstimate | undefined {
    const total = this.total;
    if (this.state !== STATE_RUNNING || total === undefined || !this.etaFeed.enabled) return undefined;
    this.observeProgress(nowMs, fresh);
    const completed = this.completed;
    if (completed >= total) return undefined;
    return this.etaFeed.estimate(nowMs, total, completed);
  }

  get etaMethod(): EtaMethod | undefined {
    return this.etaFeed.method;
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
  finish(rawOptions: { result?: BatchRunResult; error?: ErrorInfo; message?: string } = {}): RunSummary {
    const o = readOptions(this.problems, rawOptions, 'finish', ['result', 'error', 'message']);
    const options: { result?: BatchRunResult; error?: ErrorInfo; message?: string } = {};
    if (o['result'] !== undefined) {
      if (RESULTS.has(o['result'] as BatchRunResult)) options.result = o['result'] as BatchRunResult;
      else
        this.problems.report('invalid_value', `batchtel: finish result must be one of ${[...RESULTS].join(', ')}, got ${safeText(o['result'], 40)} (ignored)`);
    }
    if (o['error'] !== undefined) options.error = o['error'] as ErrorInfo;
    if (o['message'] !== undefined) options.message = safeText(o['message'], LIMITS.finishMessage);
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
      (this.fatalError ? BATCH_RUN_RESULT_VALUES.failure : this.signal.aborted ? BATCH_RUN_RESULT_VALUES.cancellation : BATCH_RUN_RESULT_VALUES.success);
    const status: RunStatus =
      result === BATCH_RUN_RESULT_VALUES.success ? 'completed' : result === BATCH_RUN_RESULT_VALUES.cancellation ? 'cancelled' : 'failed';
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

  /** Ends the run now as failed with a fatal error (`trackError(..., fatal=true)` in `createBatchProgress`). */
  finishFatal(error: ErrorInfo): void {
    this.fatalError = error;
    this.finish({ error });
    this.fatalFinished = true;
  }

  /** Asks the loop to stop; the helper finishes the run as cancelled. */
  cancel(reason?: string): void {
    if (this.state === STATE_DONE) return;
    this.abortController.abort(new CancelledError(reason === undefined ? `run ${this.id} cancelled` : safeText(reason, LIMITS.message)));
  }

  // ---- internals -----------------------------------------------------------------------------

  private fatalFinished = false;

  private emit(name: keyof RunListener, call: (listener: RunListener) => void): void {
    for (const listener of this.listeners) {
      try {
        call(listener);
      } catch (error) {
        this.listenerThrew(name, error);
      }
    }
  }

  private listenerThrew(name: keyof RunListener, error: unknown): void {
    this.problems.report('callback_threw', `batchtel: a run listener threw in ${name}: ${String(error)}`);
  }

  private inactiveCall(what: string): void {
    if (this.state === STATE_PENDING) {
      this.problems.report('call_before_start', `batchtel: ${what}() called before start() on run ${this.id} (ignored)`);
    } else if (!this.fatalFinished) {
      this.problems.report('call_after_finish', `batchtel: ${what}() called after finish() on run ${this.id} (ignored)`);
    }
  }
}
