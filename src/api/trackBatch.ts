import { clockTimer, realSleep } from '../core/clock.js';
import { safeText } from '../core/limits.js';
import { classifyError, type ErrorInfo } from '../core/errors.js';
import type { Run } from '../core/Run.js';
import type { Chunk, ItemStatus } from '../core/runTypes.js';
import type { RunTelemetry } from '../instrument/RunTelemetry.js';
import { BATCH_RUN_RESULT_VALUES, type BatchItemOutcome, type BatchRunResult } from '../semconv.js';
import { buildStats, type BatchStats } from './BatchStats.js';
import { chunked, type ChunkSource } from './chunked.js';
import { createRun } from './createRun.js';
import { retryWaitMs, shouldRetry } from './retryPolicy.js';
import { parseOptions } from '../core/parseOptions.js';
import { processOptionsSchema, type ProcessOptions, type ProcessOptionsInput, type RunOptionsInput } from './options.js';

/** What a chunk handler may report back; returning nothing means every item succeeded. */
export interface ChunkResult {
  readonly failed?: number;
  readonly skipped?: number;
  /** Quality score(s) 0..1 for the chunk's items. */
  readonly quality?: number | readonly number[];
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number; readonly cost?: number };
}

/** What `process()` hands the chunk handler besides the chunk. */
export interface ChunkContext {
  /** Chunk number, from 0. */
  readonly index: number;
  /** Attempt number, from 1. */
  readonly attempt: number;
  /** Aborts when the run is cancelled, times out, or the caller's signal aborts. */
  readonly signal: AbortSignal;
}

/**
 * Your code for one chunk: throw (or return `{ failed }`) for failures; the return value may report `skipped`, `quality` and `usage`.
 *
 * @example
 * ```ts
 * import type { ChunkHandler } from 'batchtel';
 *
 * const handler: ChunkHandler<string> = async (emails, { signal }) => {
 *   const res = await fetch('https://mail.example.com/send', { method: 'POST', body: JSON.stringify(emails), signal });
 *   if (!res.ok) throw res; // 429 and Retry-After are read from the Response
 *   return { quality: 1 };
 * };
 * ```
 */
export type ChunkHandler<T> = (chunk: T[], context: ChunkContext) => Promise<ChunkResult | void> | ChunkResult | void;

/**
 * A run of a batch loop: `process()` for the common chunked loop, or
 * `start()`/`tick()`/`finish()` for a loop of your own.
 */
export class BatchRun {
  private readonly run: Run;
  private readonly telemetry: RunTelemetry;

  constructor(options: RunOptionsInput) {
    const created = createRun(options, 'trackBatch options');
    this.run = created.run;
    this.telemetry = created.telemetry;
  }

  get id(): string {
    return this.run.id;
  }
  /** Aborts when the run is cancelled (e.g. from the control API). */
  get signal(): AbortSignal {
    return this.run.signal;
  }

  /** Starts the run (span, `batch.run.started`, bar) for a loop of your own; `process()` calls it itself. */
  start(): this {
    this.run.problems.guard('start', () => this.run.start(), undefined);
    return this;
  }

  /** One item done: an increment, nothing else. */
  tick(outcome?: BatchItemOutcome): void {
    this.run.tick(outcome);
  }

  /** n items done. */
  add(n: number, outcome?: BatchItemOutcome): void {
    this.run.add(n, outcome);
  }

  /** Reports an error (429 and Retry-After are detected); items are counted separately. */
  error(error: unknown, options: { status?: number; type?: string } = {}): ErrorInfo {
    const run = this.run;
    return run.problems.guard('error', () => run.trackError(error, options), classifyError(undefined, { nowMs: run.clock.now() }));
  }

  /** Reports an HTTP 429 the loop met, with the wait the server asked for. */
  rateLimited(retryAfterMs?: number): void {
    this.run.problems.guard('rateLimited', () => this.run.recordRateLimit(retryAfterMs), undefined);
  }

  /** Reports a quality score (0..1) for an item or chunk. */
  quality(score: number): void {
    this.run.problems.guard('quality', () => this.run.recordQuality(score), undefined);
  }

  /** Adds tokens used and cost (US dollars). */
  usage(usage: { inputTokens?: number; outputTokens?: number; cost?: number }): void {
    this.run.problems.guard('usage', () => this.run.recordUsage(usage), undefined);
  }

  /** Item-level tracking (files, in the file-progress tracker): only active items are held. */
  item(id: string, update: { status?: ItemStatus; progress?: number; stage?: string; stageProgress?: number } = {}): void {
    this.run.problems.guard('item', () => this.run.updateItem(id, update), undefined);
  }

  /** Messages shown after the bar and kept on the run (the last 16). */
  message(...messages: string[]): void {
    this.run.problems.guard('message', () => this.run.setMessages(messages), undefined);
  }

  /** Aborts `signal`: `process()` stops between chunks and the run finishes as cancelled. */
  cancel(reason?: string): void {
    this.run.problems.guard('cancel', () => this.run.cancel(reason), undefined);
  }

  /** Ends the run (span, `batch.run.finished`, summary line) and returns its stats; a second call changes nothing. */
  finish(options: { result?: BatchRunResult; message?: string } = {}): BatchStats {
    this.run.problems.guard('finish', () => this.run.finish(options), undefined);
    return buildStats(this.run);
  }

  /** The stats so far, without finishing the run. */
  stats(): BatchStats {
    return buildStats(this.run);
  }

  /**
   * Chunks `items`, runs `handler` on each chunk with bounded concurrency,
   * times it, classifies failures, retries where asked (honouring Retry-After,
   * at most MAX_WAIT_MS), stops on abort, and finishes the run. Resolves with
   * the stats; never rejects for a failed chunk (the stats and telemetry say
   * what failed). Every way out finishes the run: when the source itself throws,
   * the run fails and process() rejects with the source's error; on an early stop
   * (abort, cancel, timeout, stopOnError) the source's iterator is closed
   * (`return()`), even when it never yields again.
   */
  async process<T>(items: Iterable<T> | AsyncIterable<T>, handler: ChunkHandler<T>, input: ProcessOptionsInput = {}): Promise<BatchStats> {
    const options = parseOptions(processOptionsSchema, input, 'process options');
    const run = this.run;
    if (run.status === 'pending') run.start();
    if (run.isFinished) return buildStats(run);
    const signal = options.signal ? AbortSignal.any([options.signal, run.signal]) : run.signal;
    // Every way out wakes the workers, so a pull from a source that never yields again is abandoned.
    let wake!: () => void;
    const stopped = new Promise<typeof STOP>((resolve) => {
      wake = () => resolve(STOP);
    });
    let timedOut = false;
    let stopError: ErrorInfo | undefined;
    let sourceError: { readonly error: unknown } | undefined;
    let source: ChunkSource<T> | undefined;
    try {
      source = chunked(items, options.chunkSize ?? options.batchSize);
    } catch (error) {
      sourceError = { error };
    }
    const timeout = () => {
      if (timedOut) return;
      timedOut = true;
      run.cancel('timeout');
      wake();
    };
    const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : run.clock.now() + options.timeoutMs;
    const cancelTimer = options.timeoutMs === undefined ? undefined : clockTimer(run.clock, options.timeoutMs, timeout);
    signal.addEventListener('abort', wake, { once: true });
    if (signal.aborted) wake();
    let nextIndex = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        if (run.clock.now() >= deadline) timeout();
        if (signal.aborted || stopError || sourceError || !source) return;
        let next: IteratorResult<T[]> | typeof STOP;
        try {
          next = await Promise.race([source.next(), stopped]);
        } catch (error) {
          sourceError ??= { error };
          wake();
          return;
        }
        if (next === STOP || next.done) return;
        const index = nextIndex++;
        let failure: ErrorInfo | undefined;
        try {
          failure = await this.runChunk(next.value, index, handler, options, signal);
        } catch (error) {
          run.problems.report('telemetry_failed', `batchtel: chunk ${index} of run ${run.id} could not be recorded: ${safeText(error, 200)}`);
        }
        if (failure && options.stopOnError) {
          stopError ??= failure;
          wake();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: options.concurrency }, worker));
    } finally {
      cancelTimer?.();
      signal.removeEventListener('abort', wake);
      await source?.close();
    }
    if (!run.isFinished) {
      if (sourceError) {
        const info = run.trackError(sourceError.error);
        run.finish({ result: BATCH_RUN_RESULT_VALUES.failure, error: info });
      } else if (timedOut) run.finish({ result: BATCH_RUN_RESULT_VALUES.timeout });
      else if (stopError) run.finish({ result: BATCH_RUN_RESULT_VALUES.failure, error: stopError });
      else if (signal.aborted) run.finish({ result: BATCH_RUN_RESULT_VALUES.cancellation });
      else run.finish();
    }
    if (sourceError) throw sourceError.error;
    return buildStats(run);
  }

  private async runChunk<T>(items: T[], index: number, handler: ChunkHandler<T>, options: ProcessOptions, signal: AbortSignal): Promise<ErrorInfo | undefined> {
    const run = this.run;
    const chunk: Chunk = run.beginChunk(items.length, index);
    const retry = options.retry;
    for (let attempt = 1; ; attempt++) {
      let thrown: { readonly error: unknown } | undefined;
      let result: unknown;
      try {
        result = await this.telemetry.withChunk(chunk, () => handler(items, { index, attempt, signal }));
      } catch (error) {
        thrown = { error };
      }
      if (!thrown) {
        const { failed, skipped } = this.report(result);
        run.endChunk(chunk, { failed, skipped });
        return undefined;
      }
      // Stopped by a cancel, a timeout or the caller's signal: these items were not
      // processed, so they are skipped, and the abort is not a failure of theirs.
      if (signal.aborted) {
        run.endChunk(chunk, { skipped: items.length });
        return undefined;
      }
      const info = run.trackError(thrown.error, { chunk });
      if (attempt < retry.attempts && shouldRetry(thrown.error, info, retry.retryOn) && !signal.aborted) {
        run.recordRetry(info.errorType);
        const wait = retryWaitMs(retry, attempt, info.retryAfterMs);
        await (run.clock.sleep ? run.clock.sleep(wait, signal) : realSleep(wait, signal));
        if (signal.aborted) {
          run.endChunk(chunk, { skipped: items.length });
          return undefined;
        }
        continue;
      }
      run.endChunk(chunk, { failed: items.length, error: info });
      return info;
    }
  }

  /** What the handler returned, read without trusting its shape: a getter that throws counts as nothing returned. */
  private report(result: unknown): { failed: number | undefined; skipped: number | undefined } {
    const none = { failed: undefined, skipped: undefined };
    if (typeof result !== 'object' || result === null) return none;
    try {
      const r = result as ChunkResult;
      const { failed, skipped, quality, usage } = r;
      if (typeof quality === 'number') this.run.recordQuality(quality);
      else if (Array.isArray(quality)) for (const score of quality.slice(0, MAX_QUALITY_SCORES)) this.run.recordQuality(score as number);
      else if (quality !== undefined)
        this.run.problems.report('invalid_value', "batchtel: a chunk result's quality must be a number or an array of numbers (ignored)");
      if (usage !== undefined) this.run.recordUsage(usage);
      return { failed: typeof failed === 'number' ? failed : undefined, skipped: typeof skipped === 'number' ? skipped : undefined };
    } catch (error) {
      this.run.problems.report('invalid_value', `batchtel: a chunk result could not be read: ${safeText(error, 200)} (taken as all succeeded)`);
      return none;
    }
  }
}

/** Quality scores read from one chunk result. */
const MAX_QUALITY_SCORES = 10_000;
const STOP = Symbol('stop');

/**
 * Starts tracking a batch loop.
 *
 * @example
 * ```ts
 * import { trackBatch } from 'batchtel';
 *
 * const ids = ['a', 'b', 'c'];
 * const stats = await trackBatch({ name: 'Reindex', total: ids.length })
 *   .process(ids, async (chunk) => { await Promise.resolve(chunk); }, { chunkSize: 2 });
 * console.log(stats.itemsPerSecond);
 * ```
 */
export function trackBatch(options: RunOptionsInput): BatchRun {
  return new BatchRun(options);
}
