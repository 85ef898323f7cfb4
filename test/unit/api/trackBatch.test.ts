import { describe, expect, it } from 'vitest';
import { ManualClock, RunRegistry, trackBatch } from '../../../src/index.js';

const opts = (clock = new ManualClock(0)) => ({ clock, registry: new RunRegistry(), display: 'none' as const });

describe('trackBatch().process', () => {
  it('chunks, times and counts; returns the stats', async () => {
    const clock = new ManualClock(0);
    const seen: number[][] = [];
    const stats = await trackBatch({ ...opts(clock), name: 'import', total: 10 }).process(
      Array.from({ length: 10 }, (_, i) => i),
      async (chunk) => {
        seen.push(chunk);
        clock.advance(chunk.length * 10);
        return { failed: chunk.includes(9) ? 1 : 0 };
      },
      { batchSize: 4 },
    );
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(stats).toMatchObject({ status: 'completed', processed: 10, succeeded: 9, failed: 1, batches: 3, durationMs: 100 });
    expect(stats.batchTimes.max).toBe(40);
  });

  it('chunkSize sets the items per chunk; the deprecated batchSize still works, and chunkSize wins over it', async () => {
    const sizes = async (options: { chunkSize?: number; batchSize?: number }) => {
      const seen: number[] = [];
      await trackBatch({ ...opts(new ManualClock(0)), name: 'sizes', total: 10 }).process(
        Array.from({ length: 10 }, (_, i) => i),
        async (chunk) => void seen.push(chunk.length),
        options,
      );
      return seen;
    };
    expect(await sizes({ chunkSize: 4 })).toEqual([4, 4, 2]);
    expect(await sizes({ batchSize: 5 })).toEqual([5, 5]);
    expect(await sizes({ chunkSize: 3, batchSize: 5 })).toEqual([3, 3, 3, 1]);
    expect(await sizes({})).toEqual(Array.from({ length: 10 }, () => 1));
  });

  it('accepts async iterables without materialising them', async () => {
    async function* rows() {
      for (let i = 0; i < 7; i++) yield i;
    }
    const stats = await trackBatch({ ...opts(), name: 'csv' }).process(rows(), async () => {}, { batchSize: 3 });
    expect(stats).toMatchObject({ processed: 7, batches: 3, total: undefined, progress: undefined });
  });

  it('bounded concurrency: never more than N chunks in flight, every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    const stats = await trackBatch({ ...opts(), name: 'par', total: 40 }).process(
      Array.from({ length: 40 }, (_, i) => i),
      async (chunk) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await Promise.resolve();
        await new Promise<void>((resolve) => setImmediate(resolve));
        done.push(...chunk);
        inFlight--;
      },
      { batchSize: 3, concurrency: 4 },
    );
    expect(peak).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(stats.processed).toBe(40);
  });

  it('retries rate-limited chunks, waiting at least Retry-After on the injected clock', async () => {
    const clock = new ManualClock(0);
    const attempts: Array<[number, number]> = [];
    const stats = await trackBatch({ ...opts(clock), name: 'rl', total: 2 }).process(
      [1, 2],
      async (_chunk, { attempt }) => {
        attempts.push([attempt, clock.now()]);
        if (attempt < 3) throw new Response(null, { status: 429, headers: { 'retry-after': '10' } });
      },
      { batchSize: 2, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } },
    );
    expect(attempts.map(([a]) => a)).toEqual([1, 2, 3]);
    expect(attempts[1]![1] - attempts[0]![1]).toBeGreaterThanOrEqual(10_000);
    expect(stats).toMatchObject({ succeeded: 2, failed: 0, errors: 2, retries: 2, rateLimitHits: 2, rateLimitWaitMs: 20_000 });
  });

  it('does not retry a 400; the chunk fails and the run carries on', async () => {
    const stats = await trackBatch({ ...opts(), name: 'bad', total: 4 }).process(
      [1, 2, 3, 4],
      async (chunk) => {
        if (chunk[0] === 1) throw Object.assign(new Error('bad request'), { status: 400 });
      },
      { batchSize: 2, retry: { attempts: 5 } },
    );
    expect(stats).toMatchObject({ status: 'completed', succeeded: 2, failed: 2, retries: 0, errorsByType: { '400': 1 }, failedBatches: 1 });
  });

  it('stopOnError ends the run as failed after the first chunk that still fails', async () => {
    let calls = 0;
    const stats = await trackBatch({ ...opts(), name: 'stop', total: 10 }).process(
      Array.from({ length: 10 }, (_, i) => i),
      async () => {
        calls++;
        throw new SyntaxError('corrupt');
      },
      { batchSize: 2, stopOnError: true },
    );
    expect(calls).toBe(1);
    expect(stats).toMatchObject({ status: 'failed', result: 'failure' });
  });

  it('honours an AbortSignal: stops pulling, finishes as cancelled', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const stats = await trackBatch({ ...opts(), name: 'abort', total: 100 }).process(
      Array.from({ length: 100 }, (_, i) => i),
      async (_chunk, { index, signal }) => {
        chunks++;
        if (index === 2) controller.abort();
        expect(signal).toBeDefined();
      },
      { batchSize: 10, signal: controller.signal },
    );
    expect(chunks).toBe(3);
    expect(stats).toMatchObject({ status: 'cancelled', result: 'cancellation', processed: 30 });
  });

  it('run.cancel() from elsewhere (e.g. the control API) cancels the loop', async () => {
    const run = trackBatch({ ...opts(), name: 'cancel', total: 100 });
    const stats = await run.process(
      Array.from({ length: 100 }, (_, i) => i),
      async (_c, { index }) => {
        if (index === 1) run.cancel('operator');
      },
      { batchSize: 10 },
    );
    expect(stats.status).toBe('cancelled');
    expect(stats.processed).toBe(20);
  });

  it('a chunk cancelled while waiting to retry counts its items as skipped, not failed', async () => {
    const run = trackBatch({ ...opts(), name: 'cancel-retry', total: 20 });
    const stats = await run.process(
      Array.from({ length: 20 }, (_, i) => i),
      async (_c, { index, attempt }) => {
        if (index === 1 && attempt === 1) {
          run.cancel('operator');
          throw Object.assign(new Error('busy'), { status: 503 });
        }
      },
      { batchSize: 10, retry: { attempts: 3, baseDelayMs: 1 } },
    );
    expect(stats).toMatchObject({ status: 'cancelled', succeeded: 10, failed: 0, skipped: 10 });
  });

  it('a whole-run timeout ends the run with result timeout', async () => {
    // The timeout runs on the run's clock: here the manual one, moved by the handler.
    const clock = new ManualClock(0);
    const stats = await trackBatch({ ...opts(clock), name: 'slow', total: 100 }).process(
      Array.from({ length: 100 }, (_, i) => i),
      async (_c, { signal }) => {
        clock.advance(15);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      },
      { batchSize: 10, timeoutMs: 20 },
    );
    expect(stats).toMatchObject({ status: 'failed', result: 'timeout' });
  });

  it('reports quality and usage returned by the handler', async () => {
    const stats = await trackBatch({ ...opts(), name: 'llm', total: 2 }).process(
      [1, 2],
      async () => ({ quality: [0.8, 1], usage: { inputTokens: 10, outputTokens: 5, cost: 0.001 } }),
      { batchSize: 2 },
    );
    expect(stats).toMatchObject({ qualityScore: 0.9, tokens: { input: 10, output: 5 }, cost: 0.001 });
  });

  it('rejects bad process options clearly', async () => {
    const run = trackBatch({ ...opts(), name: 'x' });
    await expect(run.process([1], async () => {}, { batchSize: 0 })).rejects.toThrow(/`batchSize`: .*got 0 \(number\)/);
    await expect(run.process([1], async () => {}, { concurency: 2 } as never)).rejects.toThrow(/unknown option `concurency`/);
  });

  it('manual loops: start / tick / finish', () => {
    const run = trackBatch({ ...opts(), name: 'manual', total: 3 }).start();
    run.tick();
    run.tick('failure');
    run.tick('skipped');
    expect(run.finish()).toMatchObject({ processed: 3, succeeded: 1, failed: 1, skipped: 1, progress: 1 });
  });
});
