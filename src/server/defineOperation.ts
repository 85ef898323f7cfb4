import type { z } from 'zod';
import type { BatchStats } from '../api/BatchStats.js';
import type { BatchRun, ChunkHandler } from '../api/trackBatch.js';

/** The run options of a create request (`options` in its body), validated. */
export interface CreateOptions {
  /** Items per chunk: the request's `chunkSize` (or its deprecated alias `batchSize`), else 50. */
  readonly chunkSize: number;
  /** @deprecated The same value as {@link CreateOptions.chunkSize}, under its old name. */
  readonly batchSize: number;
  readonly retryAttempts: number;
  /** Whole-run deadline, ms. */
  readonly timeout: number | undefined;
  readonly concurrency: number;
}

/** What an operation's function receives besides its input. */
export interface OperationContext {
  /** The run, already registered (so the API and board see it) and not yet started. */
  readonly batch: BatchRun;
  readonly options: CreateOptions;
  /** Aborts when the run is cancelled (e.g. `POST /api/batch/:id/cancel`). */
  readonly signal: AbortSignal;
  /** `batch.process()` with the request's chunk size, retries, timeout and concurrency. */
  process<T>(items: Iterable<T> | AsyncIterable<T>, handler: ChunkHandler<T>): Promise<BatchStats>;
}

/** An operation the control API may start; made by `defineOperation`. */
export interface Operation<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly input: S;
  /** Expected item count for an input, when the app can tell before it starts. */
  readonly total?: (input: z.output<S>) => number | undefined;
  readonly category?: string;
  /** The work, given the checked input; the run finishes when it returns or throws. */
  readonly run: (input: z.output<S>, context: OperationContext) => Promise<unknown> | unknown;
}

/**
 * An operation `POST /api/batch/create` may start: a name, a zod schema for its
 * input, and the code that processes it. Only registered operations can be started.
 *
 * @example
 * ```ts
 * import { defineOperation, startServer } from 'batchtel/server';
 * import { z } from 'zod';
 *
 * const reindex = defineOperation('reindex', z.strictObject({ ids: z.array(z.string()) }),
 *   async ({ ids }, { process }) => { await process(ids, async (chunk) => { await Promise.resolve(chunk); }); },
 *   { total: ({ ids }) => ids.length });
 * await startServer({ operations: [reindex] });
 * ```
 */
export function defineOperation<S extends z.ZodType>(
  name: string,
  input: S,
  run: (input: z.output<S>, context: OperationContext) => Promise<unknown> | unknown,
  extra: { total?: (input: z.output<S>) => number | undefined; category?: string } = {},
): Operation<S> {
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) {
    throw new TypeError(`batchtel: operation name must be 1-64 characters of letters, digits and _ . : -, got ${JSON.stringify(name)}`);
  }
  return { name, input, run, ...extra };
}
