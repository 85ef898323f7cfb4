import { realSleep } from '../core/clock.js';
import type { ErrorInfo } from '../core/errors.js';
import type { Chunk, ItemStatus, Run } from '../core/Run.js';
import type { RunTelemetry } from '../instrument/RunTelemetry.js';
import { BATCH_RUN_RESULT_VALUES, ERROR_TYPE_VALUES, type BatchItemOutcome, type BatchRunResult } from '../semconv.js';
import { buildStats, type BatchStats } from './BatchStats.js';
import { createRun } from './createRun.js';
import { parseOptions, processOptionsSchema, type ProcessOptions, type ProcessOptionsInput, type RunOptionsInput } from './options.js';

/** What a chunk handler may report back; returning nothing means every item succeeded. */
export interface ChunkResult {
  readonly failed?: number;
  readonly skipped?: number;
  /** Quality score(s) 0..1 for the chunk's items. */
  readonly quality?: number | readonly number[];
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number; readonly cost?: number };
}

export interface ChunkContext {
  /** Chunk number, from 0. */
  readonly index: number;
  /** Attempt number, from 1. */
  readonly attempt: number;
  /** Aborts when the run is cancelled, times out, or the caller's signal aborts. */
  readonly signal: AbortSignal;
}

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

  start(): this {
    this.run.start();
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
    return this.run.trackError(error, options);
  }

  rateLimited(retryAfterMs?: number): void {
    this.run.recordRateLimit(retryAfterMs);
  }

  quality(score: number): void {
    this.run.recordQuality(score);
  }

  usage(usage: { inputTokens?: number; outputTokens?: number; cost?: number }): void {
    this.run.recordUsage(usage);
  }

  /** Item-level tracking (files, in the file-progress tracker): only active items are held. */
  item(id: string, update: { status?: ItemStatus; progress?: number; stage?: string; stageProgress?: number }): void {
    this.run.updateItem(id, update);
  }

  message(...messages: string[]): void {
    this.run.setMessages(messages);
  }

  cancel(reason?: string): void {
    this.run.cancel(reason);
  }

  finish(options: { result?: BatchRunResult; message?: string } = {}): BatchStats {
    this.run.finish(options);
    return buildStats(this.run);
  }

  stats(): BatchStats {
    return buildStats(this.run);
  }

  /**
   * Chunks `items`, runs `handler` on each chunk with bounded concurrency,
   * times it, classifies failures, retries where asked (honouring Retry-After),
   * stops on abort, and finishes the run. Resolves with the stats; never rejects
   * for a failed chunk (the stats and telemetry say what failed).
   */
  async process<T>(items: Iterable<T> | AsyncIterable<T>, handler: ChunkHandler<T>, input: ProcessOptionsInput = {}): Promise<BatchStats> {
    const options = parseOptions(processOptionsSchema, input, 'process options');
    const run = this.run;
    if (run.status === 'pending') run.start();
    const signal = options.signal ? AbortSignal.any([options.signal, run.signal]) : run.signal;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        run.cancel('timeout');
      }, options.timeoutMs);
      timer.unref();
    }
    let stopError: ErrorInfo | undefined;
    const chunks = chunked(items, options.batchSize);
    let nextIndex = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        if (signal.aborted || stopError) return;
        const next = await chunks.next();
        if (next.done) return;
        const index = nextIndex++;
        const failure = await this.runChunk(next.value, index, handler, options, signal);
        if (failure && options.stopOnError) stopError ??= failure;
      }
    };
    try {
      await Promise.all(Array.from({ length: options.concurrency }, worker));
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (run.isFinished) return buildStats(run);
    if (timedOut) run.finish({ result: BATCH_RUN_RESULT_VALUES.timeout });
    else if (stopError) run.finish({ result: BATCH_RUN_RESULT_VALUES.failure, error: stopError });
    else if (signal.aborted) run.finish({ result: BATCH_RUN_RESULT_VALUES.cancellation });
    else run.finish();
    return buildStats(run);
  }

  private async runChunk<T>(
    items: T[],
    index: number,
    handler: ChunkHandler<T>,
    options: ProcessOptions,
    signal: AbortSignal,
  ): Promise<ErrorInfo | undefined> {
    const run = this.run;
    const chunk: Chunk = run.beginChunk(items.length, index);
    const retry = options.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.telemetry.withChunk(chunk, () => handler(items, { index, attempt, signal }));
        this.report(result ?? undefined);
        run.endChunk(chunk, { failed: result?.failed ?? 0, skipped: result?.skipped ?? 0 });
        return undefined;
      } catch (error) {
        // Stopped by a cancel, a timeout or the caller's signal: these items were not
        // processed, so they are skipped, and the abort is not a failure of theirs.
        if (signal.aborted) {
          run.endChunk(chunk, { skipped: items.length });
          return undefined;
        }
        const info = run.trackError(error, { chunk });
        const retryable = retry.retryOn ? safeCall(retry.retryOn, error) : isRetryable(info);
        if (attempt < retry.attempts && retryable && !signal.aborted) {
          run.recordRetry(info.errorType);
          const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
          // Full jitter spreads retries of concurrent chunks; Retry-After is a floor.
          const wait = Math.max(info.retryAfterMs ?? 0, Math.random() * backoff);
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
  }

  private report(result: ChunkResult | undefined): void {
    if (!result) return;
    if (result.quality !== undefined) {
      const scores = typeof result.quality === 'number' ? [result.quality] : result.quality;
      for (const score of scores) this.run.recordQuality(score);
    }
    if (result.usage) this.run.recordUsage(result.usage);
  }
}

/** Starts tracking a batch loop. */
export function trackBatch(options: RunOptionsInput): BatchRun {
  return new BatchRun(options);
}

/** Rate limits, 5xx, timeouts and network errors are worth another try; 4xx are not. */
function isRetryable(info: ErrorInfo): boolean {
  if (info.rateLimited) return true;
  if (info.status !== undefined) return info.status >= 500 || info.status === 408;
  if (info.errorType === ERROR_TYPE_VALUES.cancelled) return false;
  return /timeout|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|network/i.test(`${info.exceptionType} ${info.message}`);
}

function safeCall(fn: (error: unknown) => boolean, error: unknown): boolean {
  try {
    return fn(error);
  } catch {
    return false;
  }
}

/** Chunks any iterable without materialising it; safe to share between workers. */
function chunked<T>(items: Iterable<T> | AsyncIterable<T>, size: number): { next(): Promise<IteratorResult<T[]>> } {
  const iterator =
    Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  let done = false;
  let pending: Promise<IteratorResult<T[]>> = Promise.resolve({ done: false, value: [] });
  const take = async (): Promise<IteratorResult<T[]>> => {
    if (done) return { done: true, value: undefined };
    const chunk: T[] = [];
    while (chunk.length < size) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      chunk.push(next.value);
    }
    return chunk.length > 0 ? { done: false, value: chunk } : { done: true, value: undefined };
  };
  return {
    // Serialised: concurrent workers must not interleave pulls from one iterator.
    next: () => (pending = pending.then(take, take)),
  };
}
