import { diag, type DiagLogger } from '@opentelemetry/api';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryState } from '../../../src/sdk/delivery/Delivery.js';
import { emptyCounts } from '../../../src/sdk/delivery/SpoolSender.js';
import { WorkerDelivery } from '../../../src/sdk/delivery/WorkerDelivery.js';
import type { FromWorker, ToWorker } from '../../../src/sdk/delivery/workerMessages.js';

/**
 * A scripted export worker: it writes to its "disk" (pending records), never
 * delivers (a flush answers at once), and at close ends its thread before its answer is read, the order
 * a loaded machine showed for a worker that ended itself.
 */
class EndsBeforeItsAnswer extends EventEmitter {
  private pending = 0;
  constructor() {
    super();
    queueMicrotask(() => this.answer({ type: 'ready', state: this.state() }));
  }
  postMessage(message: ToWorker): void {
    queueMicrotask(() => {
      if (message.type === 'write' || message.type === 'placed') {
        this.pending += message.records;
        this.answer({ type: 'written', id: message.id, state: this.state() });
      } else if (message.type === 'flush') {
        this.answer({ type: 'flushed', id: message.id, state: this.state() });
      } else if (message.type === 'close') {
        this.emit('exit', 0);
        this.answer({ type: 'closed', state: this.state() });
      }
    });
  }
  ref(): void {}
  unref(): void {}
  terminate(): Promise<number> {
    return Promise.resolve(1);
  }
  private state(): DeliveryState {
    return { counts: { ...emptyCounts(), spooled: this.pending }, pending: this.pending, inflight: 0, spoolBytes: this.pending * 100 };
  }
  private answer(message: FromWorker): void {
    this.emit('message', message);
  }
}

/** A scripted worker that starts and then never writes what it is sent: a worker far behind. */
class Stalled extends EventEmitter {
  readonly received: Array<[string, number]> = [];
  constructor() {
    super();
    queueMicrotask(() =>
      this.emit('message', { type: 'ready', state: { counts: emptyCounts(), pending: 0, inflight: 0, spoolBytes: 0 } } satisfies FromWorker),
    );
  }
  postMessage(message: ToWorker): void {
    if (message.type === 'write' || message.type === 'placed') this.received.push([message.type, message.records]);
  }
  ref(): void {}
  unref(): void {}
  terminate(): Promise<number> {
    return Promise.resolve(1);
  }
}

const settings = () => ({
  signal: 'logs' as const,
  url: 'http://127.0.0.1:1/v1/logs',
  encoding: 'json' as const,
  spoolDir: mkdtempSync(join(tmpdir(), 'batchtel-wd-')),
});

/** A WorkerDelivery whose worker is the scripted one; `starts` counts the threads started. */
function scripted() {
  const started = { starts: 0 };
  const delivery = new WorkerDelivery(settings(), {}, () => {
    started.starts++;
    return new EndsBeforeItsAnswer() as unknown as Worker;
  });
  return { delivery, started };
}

describe('WorkerDelivery', () => {
  afterEach(() => vi.useRealTimers());

  it('the worker starts at the first request, put off 250 ms while its records may wait in memory; they count as pending meanwhile', async () => {
    vi.useFakeTimers();
    const { delivery, started } = scripted();
    expect(started.starts).toBe(0);
    delivery.write(new Uint8Array(10), 100, 1000);
    delivery.write(new Uint8Array(10), 50, 990);
    expect(started.starts).toBe(0);
    expect(delivery.pending()).toBe(150);
    await vi.advanceTimersByTimeAsync(249);
    expect(started.starts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(started.starts).toBe(1);
    // Ready, and both requests handed to it (its "disk").
    await vi.advanceTimersByTimeAsync(0);
    expect(delivery.counts.spooled).toBe(150);
    await delivery.close(1000);
  });

  it('never later than the records may wait (less 150 ms for the start), and a request that may wait less brings the start forward', async () => {
    vi.useFakeTimers();
    const { delivery, started } = scripted();
    delivery.write(new Uint8Array(10), 100, 300);
    await vi.advanceTimersByTimeAsync(100);
    delivery.write(new Uint8Array(10), 100, 160);
    await vi.advanceTimersByTimeAsync(9);
    expect(started.starts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(started.starts).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(started.starts).toBe(1);
    await delivery.close(1000);
  });

  it('a request that may not wait (an interval, flush or priority write), and a flush, start the worker at once', async () => {
    vi.useFakeTimers();
    const first = scripted();
    first.delivery.write(new Uint8Array(10), 100, 0);
    expect(first.started.starts).toBe(1);
    await first.delivery.close(1000);
    const second = scripted();
    second.delivery.write(new Uint8Array(10), 100, 1000);
    expect(second.started.starts).toBe(0);
    await second.delivery.flush();
    expect(second.started.starts).toBe(1);
    expect(second.delivery.counts.spooled).toBe(100);
    await second.delivery.close(1000);
  });

  it('a worker a full ring behind makes the app thread wait for it, at most maxWaitMs a request (said once); nothing is dropped', async () => {
    const lines: string[] = [];
    const push = (message: string) => lines.push(message);
    diag.setLogger({ error: push, warn: push, info: push, debug: () => {}, verbose: () => {} } as DiagLogger, { suppressOverrideMessage: true });
    const worker = new Stalled();
    const delivery = new WorkerDelivery(settings(), {}, () => worker as unknown as Worker, { maxBytes: 100, maxWaitMs: 40 });
    delivery.write(new Uint8Array(60), 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const timed = (bytes: number, records: number) => {
      const started = performance.now();
      delivery.write(new Uint8Array(bytes), records);
      return performance.now() - started;
    };
    // What waited for the worker's start is moved to it as it is; the next request fits in the ring.
    expect(timed(60, 2)).toBeLessThan(40);
    expect(lines).toEqual([]);
    // Then the ring is full: each request waits its limit, then goes in a buffer of its own.
    expect(timed(60, 3)).toBeGreaterThanOrEqual(40);
    expect(timed(60, 4)).toBeGreaterThanOrEqual(40);
    expect(lines.filter((l) => l.includes('export worker fell 0 MiB behind'))).toHaveLength(1);
    expect(worker.received).toEqual([
      ['write', 1],
      ['placed', 2],
      ['write', 3],
      ['write', 4],
    ]);
    expect(delivery.pending()).toBe(10);
    diag.disable();
  });

  it('a worker seen ended while closing left its written records on disk: they stay pending for the next process, not counted lost', async () => {
    const delivery = new WorkerDelivery(settings(), {}, () => new EndsBeforeItsAnswer() as unknown as Worker);
    delivery.write(new Uint8Array(10), 100);
    delivery.write(new Uint8Array(10), 50);
    await delivery.close(1000);
    expect(delivery.counts.dropped).toEqual({});
    expect(delivery.pending()).toBe(150);
  });
});
