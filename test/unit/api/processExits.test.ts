import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, RunRegistry, trackBatch } from '../../../src/index.js';
import { realSleep } from '../../../src/core/clock.js';
import * as sc from '../../../src/semconv.js';
import { createTestTelemetry, pointWith, type TestTelemetry } from '../../support/otel.js';

let telemetry: TestTelemetry | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

function setup(clock = new ManualClock(0)) {
  telemetry = createTestTelemetry();
  const registry = new RunRegistry();
  const t = telemetry;
  return {
    clock,
    registry,
    t,
    run: (name: string, total?: number) => trackBatch({ name, total, clock, registry, display: 'none', telemetry: t.providers }),
    async active(): Promise<number | undefined> {
      return pointWith<number>(await t.metric(sc.METRIC_BATCH_RUNS_ACTIVE), { [sc.ATTR_BATCH_OPERATION]: 'exits' })?.value;
    },
    runSpan: () => t.spans().find((s) => s.name === 'batch exits'),
  };
}

/** A source that says whether it was closed (a cursor or file handle behind it). */
function closable(count: number, options: { throwAt?: number } = {}) {
  const state = { closed: false, pulled: 0 };
  const iterable: Iterable<number> = {
    [Symbol.iterator]() {
      let i = 0;
      return {
        next() {
          if (options.throwAt !== undefined && i === options.throwAt) throw new Error('cursor lost');
          state.pulled++;
          return i < count ? { done: false, value: i++ } : { done: true, value: undefined };
        },
        return() {
          state.closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, state };
}

describe('every way out of process() finishes the run', () => {
  it('the source throws mid-way: the run fails, its span ends, it is no longer active, process() rejects with the source error', async () => {
    const s = setup();
    const run = s.run('exits', 100);
    const { iterable } = closable(100, { throwAt: 25 });
    await expect(run.process(iterable, () => {}, { batchSize: 10 })).rejects.toThrow('cursor lost');
    const stats = run.stats();
    expect(stats).toMatchObject({ status: 'failed', result: 'failure', processed: 20 });
    expect(s.runSpan()).toBeDefined();
    expect(await s.active()).toBe(0);
    expect(s.registry.active()).toEqual([]);
  });

  it('stopOnError: the run fails and the source iterator is closed', async () => {
    const s = setup();
    const run = s.run('exits', 100);
    const { iterable, state } = closable(100);
    const stats = await run.process(
      iterable,
      (chunk) => {
        if (chunk[0] === 30) throw new Error('bad row');
      },
      { batchSize: 10, stopOnError: true },
    );
    expect(stats).toMatchObject({ status: 'failed', result: 'failure' });
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(60);
    expect(s.runSpan()).toBeDefined();
  });

  it('abort: the run is cancelled and the source iterator is closed', async () => {
    const s = setup();
    const controller = new AbortController();
    const run = s.run('exits', 100);
    const { iterable, state } = closable(100);
    const stats = await run.process(
      iterable,
      (chunk) => {
        if (chunk[0] === 20) controller.abort();
      },
      { batchSize: 10, signal: controller.signal },
    );
    expect(stats).toMatchObject({ status: 'cancelled', result: 'cancellation' });
    expect(state.closed).toBe(true);
  });

  it('timeoutMs runs on the injected clock', async () => {
    const s = setup();
    const run = s.run('exits', 100);
    const { iterable, state } = closable(100);
    const stats = await run.process(
      iterable,
      () => {
        s.clock.advance(100);
      },
      { batchSize: 10, timeoutMs: 250 },
    );
    expect(stats).toMatchObject({ status: 'failed', result: 'timeout' });
    expect(stats.processed).toBeLessThanOrEqual(30);
    expect(state.closed).toBe(true);
  });

  it('a source that stops yielding: abort, cancel() and timeoutMs still settle process() and end the run', async () => {
    async function* stuck() {
      yield 1;
      await new Promise(() => {});
    }
    for (const how of ['signal', 'cancel', 'timeout'] as const) {
      const s = setup();
      const run = s.run('exits');
      const controller = new AbortController();
      const pending = run.process(stuck(), () => {}, { signal: controller.signal, ...(how === 'timeout' ? { timeoutMs: 1000 } : {}) });
      await new Promise((resolve) => setImmediate(resolve));
      if (how === 'signal') controller.abort();
      else if (how === 'cancel') run.cancel();
      else s.clock.advance(1000);
      const stats = await pending;
      expect(stats.result).toBe(how === 'timeout' ? 'timeout' : 'cancellation');
      expect(stats.processed).toBe(1);
      expect(s.registry.active()).toEqual([]);
      expect(await s.active()).toBe(0);
    }
  });

  it('a handler that throws a Proxy with throwing traps: process() resolves and the run finishes', async () => {
    const s = setup();
    const run = s.run('exits', 4);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
        has() {
          throw new Error('trap');
        },
      },
    );
    const stats = await run.process(
      [1, 2, 3, 4],
      () => {
        throw hostile;
      },
      { batchSize: 2 },
    );
    expect(stats).toMatchObject({ status: 'completed', failed: 4, errors: 2 });
  });
});

describe('retry waits', () => {
  it('16 concurrent retry sleeps on one signal print no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const run = trackBatch({ name: 'leak', total: 64, registry: new RunRegistry(), display: 'none' });
      const failedOnce = new Set<number>();
      const stats = await run.process(
        Array.from({ length: 64 }, (_, i) => i),
        (chunk) => {
          if (!failedOnce.has(chunk[0]!)) {
            failedOnce.add(chunk[0]!);
            throw Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' });
          }
        },
        { concurrency: 16, retry: { attempts: 3, baseDelayMs: 5 } },
      );
      expect(stats.succeeded).toBe(64);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a sleep removes its abort listener when it ends', async () => {
    const controller = new AbortController();
    const signal = controller.signal as AbortSignal & { [key: symbol]: unknown };
    for (let i = 0; i < 50; i++) await realSleep(0.01, controller.signal);
    // Node keeps the listener count on the signal: the warning is the observable symptom.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    await Promise.all(Array.from({ length: 20 }, () => realSleep(1, signal)));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
  });

  it('Retry-After: 99999999 waits at most the documented maximum, on the injected clock', async () => {
    const clock = new ManualClock(0);
    const run = trackBatch({ name: 'far', total: 1, clock, registry: new RunRegistry(), display: 'none' });
    const stats = await run.process(
      [1],
      (_c, { attempt }) => {
        if (attempt === 1) throw new Response(null, { status: 429, headers: { 'retry-after': '99999999' } });
      },
      { retry: { attempts: 2 } },
    );
    expect(stats.succeeded).toBe(1);
    expect(clock.now()).toBeLessThanOrEqual(60 * 60_000);
    expect(clock.now()).toBeGreaterThan(0);
  });
});
