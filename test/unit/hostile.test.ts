import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatchProgress, createEvents, ManualClock, ProgressTracker, RunRegistry, trackBatch } from '../../src/index.js';
import { LIMITS } from '../../src/core/limits.js';
import { MAX_OPERATIONS } from '../../src/instrument/Instruments.js';
import * as sc from '../../src/semconv.js';
import { createTestTelemetry, type TestTelemetry } from '../support/otel.js';

/** Values no caller should pass, and some will. */
const trap = () => new Error('trap');
const proxy = () =>
  new Proxy(
    {},
    {
      get: () => {
        throw trap();
      },
      has: () => {
        throw trap();
      },
      ownKeys: () => {
        throw trap();
      },
      getPrototypeOf: () => {
        throw trap();
      },
      getOwnPropertyDescriptor: () => {
        throw trap();
      },
    },
  );
const throwingGetters = () => {
  const e = new Error('boom');
  // `stack` first: V8 formats it lazily from name and message.
  for (const key of ['stack', 'constructor', 'name', 'status', 'message']) {
    Object.defineProperty(e, key, {
      get: () => {
        throw trap();
      },
    });
  }
  Object.defineProperty(e, 'headers', {
    value: {
      get: () => {
        throw trap();
      },
    },
  });
  return e;
};
const huge = 'x'.repeat(10 * 1024 * 1024);
const HOSTILE: unknown[] = [
  undefined,
  null,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1,
  1e308,
  Symbol('s'),
  '5',
  huge,
  { length: 1, 0: 'a' },
  [Symbol('in array')],
  () => {},
  123,
];
const hostileValues = () => [...HOSTILE, proxy(), throwingGetters()];

let t: TestTelemetry;
let clock: ManualClock;
let warnings: string[];
beforeEach(() => {
  t = createTestTelemetry();
  clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  warnings = [];
  diag.setLogger(
    { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
  vi.useFakeTimers();
});
afterEach(async () => {
  vi.useRealTimers();
  diag.disable();
  await t.shutdown();
});

const common = () => ({ clock, registry: new RunRegistry(), telemetry: t.providers });
const sink = () => ({ write: () => true, columns: 80 }) as unknown as NodeJS.WritableStream;

/** Calls fn with every hostile value in every position; none may throw. */
function everyWay(fn: (...args: unknown[]) => unknown, arity: number): void {
  for (let position = 0; position < arity; position++) {
    for (const value of hostileValues()) {
      const args = Array.from({ length: arity }, () => undefined as unknown);
      args[position] = value;
      expect(() => fn(...args), `argument ${position}: ${typeof value}`).not.toThrow();
    }
  }
}

async function allPointsFinite(): Promise<void> {
  for (const metric of await t.metrics()) {
    for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
      const v = point.value;
      if (typeof v === 'number') expect(Number.isFinite(v), metric.descriptor.name).toBe(true);
      else {
        expect(Number.isFinite(v.sum ?? 0), `${metric.descriptor.name} sum`).toBe(true);
        expect(Number.isFinite(v.min ?? 0) && Number.isFinite(v.max ?? 0), `${metric.descriptor.name} min/max`).toBe(true);
      }
    }
  }
}

describe('hostile input: nothing throws after construction, nothing surfaces later on a timer', () => {
  it('BatchRun: every run method with every hostile value', async () => {
    const run = trackBatch({ ...common(), name: 'hostile', total: 100, display: 'plain', stream: sink() });
    run.start();
    const r = run as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ['tick', 'add', 'error', 'rateLimited', 'quality', 'usage', 'item', 'message']) everyWay((...a) => r[method]!.call(run, ...a), 2);
    expect(() => run.error(proxy())).not.toThrow();
    expect(() => run.error(throwingGetters())).not.toThrow();
    expect(() => run.error(new Error('e'), { type: 123 as unknown as string })).not.toThrow();
    expect(() => run.error(new Error('e'), null as unknown as object)).not.toThrow();
    expect(() => run.usage(undefined as unknown as object)).not.toThrow();
    expect(() => run.item('f', undefined as unknown as object)).not.toThrow();
    expect(() => run.usage({ cost: 1e308 })).not.toThrow();
    run.usage({ cost: 1e308 });
    vi.advanceTimersByTime(2000);
    clock.advance(2000);
    vi.advanceTimersByTime(2000);
    await allPointsFinite();
    everyWay((...a) => r['cancel']!.call(run, ...a), 1);
    everyWay((...a) => r['finish']!.call(run, ...a), 1);
    expect(() => run.finish(null as unknown as object)).not.toThrow();
    expect(run.stats().status).not.toBe('running');
    vi.advanceTimersByTime(5000);
    await allPointsFinite();
    // Each kind of misuse is reported once, not once per call.
    expect(new Set(warnings).size).toBe(warnings.length);
  });

  it('createBatchProgress: update with Symbol and array-like messages, then the plain and TTY renderers’ timers', () => {
    for (const display of ['plain', 'tty'] as const) {
      const p = createBatchProgress({ ...common(), name: `seed ${display}`, total: 100, display, stream: sink() });
      p.start();
      expect(() => p.update(5, [Symbol('s')] as unknown as string[])).not.toThrow();
      expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
      expect(() => p.update(1, { length: 1, 0: 'a' } as unknown as string[])).not.toThrow();
      expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
      const q = p as unknown as Record<string, (...args: unknown[]) => unknown>;
      for (const method of ['update', 'completeBatch', 'trackError']) everyWay((...a) => q[method]!.call(p, ...a), 5);
      expect(() => p.completeBatch(1, 10, null as unknown as unknown[])).not.toThrow();
      expect(() => p.trackError(1, new Error('x'), false, undefined, 404 as unknown as string)).not.toThrow();
      expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
      expect(() => p.finish(null as unknown as object)).not.toThrow();
      everyWay((...a) => q['finish']!.call(p, ...a), 1);
      expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
    }
  });

  it('ProgressTracker: every method with every hostile value', () => {
    const tracker = new ProgressTracker('hostile-tracker', {
      ...common(),
      mode: 'comprehensive',
      callbacks: { onProgressUpdate: () => {}, onETAUpdate: () => {} },
    });
    const q = tracker as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ['updateFileProgress', 'reportRateLimit', 'reportApiCall', 'reportRetry', 'reportError', 'reportUsage', 'reportQuality'])
      everyWay((...a) => q[method]!.call(tracker, ...a), 2);
    expect(() => tracker.updateFileProgress('f', undefined as unknown as object)).not.toThrow();
    expect(() => tracker.reportUsage(null as unknown as object)).not.toThrow();
    expect(() => tracker.getCurrentMetrics()).not.toThrow();
    expect(() => tracker.calculateETA()).not.toThrow();
    expect(() => vi.advanceTimersByTime(5000)).not.toThrow();
    expect(() => tracker.stop()).not.toThrow();
    expect(() => tracker.stop()).not.toThrow();
  });

  it('createEvents and RunRegistry: every method with every hostile value', async () => {
    const events = createEvents({ meterProvider: t.providers.meterProvider, loggerProvider: t.providers.loggerProvider });
    everyWay((...a) => events.event(...(a as Parameters<typeof events.event>)), 3);
    expect(() => events.event('x', { a: 1 }, { values: { big: 1e308 } })).not.toThrow();
    events.event('x', { a: 1 }, { values: { big: 1e308 } });
    expect(() => events.stats()).not.toThrow();
    const registry = new RunRegistry();
    const r = registry as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ['get', 'remove', 'cleanup', 'subscribe', 'add']) everyWay((...a) => r[method]!.call(registry, ...a), 1);
    expect(() => registry.list()).not.toThrow();
    await allPointsFinite();
  });
});

describe('hostile input: bounded', () => {
  it('a 10 MB name, message, metadata value and error message are cut to the documented limits where they are kept', () => {
    const run = trackBatch({ ...common(), name: huge, metadata: { big: huge }, display: 'none' }).start();
    run.message(huge);
    run.error(new Error(huge));
    run.item(huge, { status: 'processing', stage: huge });
    const internal = (run as unknown as { run: import('../../src/core/Run.js').Run }).run;
    expect(internal.descriptor.name.length).toBeLessThanOrEqual(LIMITS.name);
    expect(String(internal.descriptor.metadata['big']).length).toBeLessThanOrEqual(LIMITS.metadataValue);
    expect(internal.lastMessages[0]!.length).toBeLessThanOrEqual(LIMITS.message);
    for (const item of internal.activeItems.values()) {
      expect(item.id.length).toBeLessThanOrEqual(LIMITS.itemId);
      expect(item.stage!.length).toBeLessThanOrEqual(LIMITS.itemId);
    }
    run.finish();
    const exception = t.logs().find((l) => l.eventName === sc.EVENT_EXCEPTION)!;
    expect(String(exception.attributes[sc.ATTR_EXCEPTION_MESSAGE]).length).toBeLessThanOrEqual(LIMITS.errorMessage);
    for (const span of t.spans()) for (const value of Object.values(span.attributes)) expect(String(value).length).toBeLessThanOrEqual(LIMITS.errorMessage);
  });

  it('the operation derived from a run name carries no URL user info, password, query string or token', () => {
    const run = trackBatch({ ...common(), name: 'Sync https://user:hunter2@api.example.com/v1?token=abc123', display: 'none' }).start();
    const operation = run.stats().operation;
    expect(operation).toMatch(/^sync/);
    expect(operation).toContain('api_example_com');
    for (const secret of ['user', 'hunter2', 'token', 'abc123']) expect(operation).not.toContain(secret);
    run.finish();
    for (const span of t.spans()) expect(span.name).not.toContain('hunter2');
    const bearer = trackBatch({ ...common(), name: 'Export for sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c password=swordfish', display: 'none' }).stats()
      .operation;
    for (const secret of ['4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c', 'swordfish']) expect(bearer).not.toContain(secret);
  });

  it('runs never started or finished: the registry keeps at most its cap and counts what it evicted', () => {
    const registry = new RunRegistry({ maxRuns: 500 });
    for (let i = 0; i < 5000; i++) trackBatch({ clock, registry, name: 'never', display: 'none', alerts: { enabled: false } });
    expect(registry.list().length).toBe(500);
    expect(registry.evicted).toBe(4500);
  });

  it('runs never started age out of the registry; past maxFinished the oldest finished are forgotten', () => {
    const registry = new RunRegistry({ maxFinished: 1 });
    trackBatch({ clock, registry, name: 'idle', display: 'none' });
    trackBatch({ clock, registry, name: 'done 1', display: 'none' }).start().finish();
    trackBatch({ clock, registry, name: 'done 2', display: 'none' }).start().finish();
    const running = trackBatch({ clock, registry, name: 'running', display: 'none' }).start();
    clock.advance(registry.maxAgeMs + 1);
    trackBatch({ clock, registry, name: 'new', display: 'none' });
    expect(
      registry
        .list()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['done 2', 'new', 'running']);
    running.finish();
  });

  it('distinct operations past the limit: per-operation state stays within it (an overflow series past it), counts exact', async () => {
    for (let i = 0; i < 3000; i++) {
      const run = trackBatch({
        clock,
        registry: new RunRegistry(),
        name: `op ${i}`,
        operation: `op_${i}`,
        display: 'none',
        alerts: { enabled: false },
        telemetry: { meterProvider: t.providers.meterProvider },
      }).start();
      run.tick();
      run.finish();
    }
    const processed = await t.metric(sc.METRIC_BATCH_ITEMS_PROCESSED);
    const points = processed!.dataPoints as DataPoint<number>[];
    expect(points.length).toBeLessThanOrEqual(MAX_OPERATIONS + 1);
    expect(points.reduce((sum, p) => sum + p.value, 0)).toBe(3000);
    expect(points.some((p) => p.attributes[sc.ATTR_BATCH_OPERATION] === '_OTHER')).toBe(true);
  }, 60_000);
});
