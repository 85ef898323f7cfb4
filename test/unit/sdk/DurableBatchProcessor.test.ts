import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DurableBatchProcessor } from '../../../src/sdk/delivery/DurableBatchProcessor.js';
import { Spool, type SpoolFile } from '../../../src/sdk/delivery/Spool.js';
import type { SpoolSender } from '../../../src/sdk/delivery/SpoolSender.js';
import { SpoolDelivery } from '../../../src/sdk/delivery/SpoolDelivery.js';

/** Records what reaches the sender: one entry per written request. */
function setup(
  options: {
    maxBatchSize?: number;
    maxQueueSize?: number;
    syncIntervalMs?: number;
    sizeOf?: (n: number) => number;
    maxBatchBytes?: number;
    encodeBudgetMs?: number;
    /** Encoding costs this much per record on the `elapsed` clock (ms). */
    encodeCostMs?: number;
  } = {},
) {
  let now = 0;
  let elapsed = 0;
  const { encodeCostMs = 0, ...processorOptions } = options;
  const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'batchtel-unit-spool-')), prefix: 'logs', maxBytes: 1 << 30, encoding: 'json' });
  const written: number[][] = [];
  const sender = {
    enqueue: (file: SpoolFile, body?: Uint8Array) => written.push(JSON.parse(Buffer.from(body ?? spool.read(file)!).toString()) as number[]),
    enqueueInMemory: () => {
      throw new Error('the spool is writable here');
    },
    flush: () => Promise.resolve(),
    close: () => undefined,
    counts: { inherited: 0, delivered: 0, rejected: 0, dropped: {}, spooled: 0, replayed: 0, retries: {}, writtenLocally: 0, refused: {} },
    pending: () => 0,
  } as unknown as SpoolSender;
  const processor = new DurableBatchProcessor<number>({
    signal: 'logs',
    encoding: 'json',
    encode: (items) => {
      elapsed += items.length * encodeCostMs;
      return Buffer.from(JSON.stringify(items));
    },
    isPriority: (n) => n < 0,
    delivery: new SpoolDelivery(spool, sender, 'json'),
    priorityDelayMs: 50,
    now: () => now,
    elapsed: () => elapsed,
    ...processorOptions,
  });
  return { processor, written, spool, advance: (ms: number) => (now += ms) };
}

describe('DurableBatchProcessor', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes a full batch once the caller yields, not in its turn', () => {
    const { processor, written } = setup({ maxBatchSize: 3 });
    for (const n of [1, 2, 3, 4]) processor.add(n);
    expect(written).toEqual([]);
    vi.runOnlyPendingTimers();
    expect(written).toEqual([[1, 2, 3], [4]]);
    expect(processor.buffered()).toBe(0);
    // Each request is counted once, by what set off its write.
    expect(processor.counts.requests).toEqual({ size: 2 });
  });

  it('large records: a request ends at maxBatchBytes, and four requests’ worth in memory is back-pressure (4,096 records of 32 KB were one 2,048-record write)', () => {
    // Each record stands for 32 KB; 1 MB per request is 32 records.
    const { processor, written } = setup({ sizeOf: () => 32 * 1024, maxBatchBytes: 1024 * 1024 });
    for (let n = 0; n < 40; n++) processor.add(n);
    expect(written).toEqual([]);
    vi.runOnlyPendingTimers();
    expect(written.map((w) => w.length)).toEqual([32, 8]);
    // A caller that never yields writes in its turn at 4 MB, one 1 MB request at a time.
    written.length = 0;
    for (let n = 0; n < 4096; n++) processor.add(n);
    expect(Math.max(...written.map((w) => w.length))).toBe(32);
    expect(written.flat()).toHaveLength(4096 - processor.buffered());
    expect(processor.buffered()).toBeLessThan(128);
    expect(processor.counts.refused).toEqual({});
  });

  it('a caller that never yields meets maxQueueSize and the write happens in its turn: back-pressure, nothing dropped', () => {
    const { processor, written } = setup({ maxBatchSize: 2, maxQueueSize: 5 });
    for (let n = 0; n < 11; n++) processor.add(n);
    expect(written).toEqual([[0, 1], [2, 3], [4], [5, 6], [7, 8], [9]]);
    expect(processor.buffered()).toBe(1);
    expect(processor.counts).toMatchObject({ accepted: 11, refused: {}, requests: { backpressure: 6 } });
  });

  it('nothing stays in memory only for longer than the sync interval, even in a loop that never yields', () => {
    const { processor, written, advance } = setup({ syncIntervalMs: 1000 });
    processor.add(1);
    advance(999);
    processor.add(2);
    expect(written).toEqual([]);
    advance(1);
    processor.add(3);
    expect(written).toEqual([[1, 2, 3]]);
    expect(processor.counts.requests).toEqual({ interval: 1 });
  });

  it('the sync timer writes what an idle caller left', () => {
    const { processor, written } = setup({ syncIntervalMs: 1000 });
    processor.add(1);
    vi.advanceTimersByTime(1000);
    expect(written).toEqual([[1]]);
    // An interval with nothing buffered writes nothing and counts nothing.
    vi.advanceTimersByTime(5000);
    expect(processor.counts.requests).toEqual({ interval: 1 });
  });

  it('a priority record is written within the priority delay', () => {
    const { processor, written } = setup({ syncIntervalMs: 10_000 });
    processor.add(1);
    processor.add(-1);
    vi.advanceTimersByTime(49);
    expect(written).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(written).toEqual([[1, -1]]);
    expect(processor.counts.requests).toEqual({ priority: 1 });
  });

  it('a full batch is encoded a budget per turn, in slices sized by the measured cost: the caller never waits long on it', () => {
    // 0.1 ms a record: the first slice is sized by the first guess (20 µs a record, 200 in 4 ms),
    // every later one by what the first measured (40 in 4 ms).
    const { processor, written } = setup({ maxBatchSize: 300, encodeBudgetMs: 4, encodeCostMs: 0.1 });
    for (let n = 0; n < 300; n++) processor.add(n);
    vi.advanceTimersToNextTimer();
    expect(written.map((w) => w.length)).toEqual([200]);
    expect(processor.buffered()).toBe(100);
    vi.advanceTimersToNextTimer();
    expect(written.map((w) => w.length)).toEqual([200, 40]);
    vi.advanceTimersToNextTimer();
    vi.advanceTimersToNextTimer();
    expect(written.map((w) => w.length)).toEqual([200, 40, 40, 20]);
    expect(written.flat()).toEqual(Array.from({ length: 300 }, (_, n) => n));
    expect(processor.buffered()).toBe(0);
    expect(processor.counts.requests).toEqual({ size: 4 });
  });

  it('a flush encodes everything cut and buffered at once, oldest first', async () => {
    const { processor, written } = setup({ maxBatchSize: 100, encodeBudgetMs: 4, encodeCostMs: 0.1 });
    for (let n = 0; n < 150; n++) processor.add(n);
    vi.advanceTimersToNextTimer();
    // The first request, whole at the first guess, spends the turn's budget: the other 50 wait for the next turn.
    expect(written.map((w) => w.length)).toEqual([100]);
    processor.add(150);
    await processor.forceFlush();
    expect(written.flat()).toEqual(Array.from({ length: 151 }, (_, n) => n));
    expect(processor.buffered()).toBe(0);
  });

  it('a batch whose encoding waits for a turn stays in memory no longer than the sync interval', () => {
    const { processor, written, advance } = setup({ maxBatchSize: 100, encodeBudgetMs: 4, encodeCostMs: 0.1, syncIntervalMs: 1000 });
    for (let n = 0; n < 150; n++) processor.add(n);
    advance(600);
    // The full batch goes out when the caller yields; the other 50 (added at 0) wait for the next turn.
    vi.advanceTimersToNextTimer();
    expect(written.flat()).toHaveLength(100);
    advance(400);
    // No turn since, but a second after they came the next record writes them.
    processor.add(150);
    expect(written.flat()).toEqual(Array.from({ length: 151 }, (_, n) => n));
  });

  it('records cut but not yet encoded count toward maxQueueSize: a caller that stops yielding meets back-pressure', () => {
    const { processor, written } = setup({ maxBatchSize: 100, maxQueueSize: 250, encodeBudgetMs: 4, encodeCostMs: 0.1 });
    for (let n = 0; n < 200; n++) processor.add(n);
    vi.advanceTimersToNextTimer();
    expect(written.flat()).toHaveLength(100);
    expect(processor.buffered()).toBe(100);
    // No yield from here: 100 cut + 149 buffered is still under the bound, the 150th meets it.
    for (let n = 200; n < 349; n++) processor.add(n);
    expect(written.flat()).toHaveLength(100);
    processor.add(349);
    expect(written.flat()).toEqual(Array.from({ length: 350 }, (_, n) => n));
    expect(processor.buffered()).toBe(0);
    // Each request counted by what cut it: the waiting one by size, the rest by back-pressure.
    expect(processor.counts.requests).toEqual({ size: 2, backpressure: 2 });
  });

  it('after shutdown records are refused and counted, not queued', async () => {
    const { processor, written } = setup();
    processor.add(1);
    await processor.shutdown();
    processor.add(2);
    expect(written).toEqual([[1]]);
    expect(processor.counts).toMatchObject({ accepted: 1, refused: { shutdown: 1 }, requests: { flush: 1 } });
  });
});

describe('DurableBatchProcessor shutdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('gives up waiting for the endpoint at its deadline and closes the sender (aborting what is in flight): a pending request never outlives shutdown', async () => {
    const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'batchtel-unit-spool-')), prefix: 'logs', maxBytes: 1 << 30, encoding: 'json' });
    let closed = false;
    const sender = {
      enqueue: () => undefined,
      enqueueInMemory: () => undefined,
      // An endpoint that never answers: delivery never settles.
      flush: () => new Promise<void>(() => undefined),
      close: () => (closed = true),
      counts: { inherited: 0, delivered: 0, rejected: 0, dropped: {}, spooled: 0, replayed: 0, retries: {}, writtenLocally: 0, refused: {} },
      pending: () => 1,
    } as unknown as SpoolSender;
    const processor = new DurableBatchProcessor<number>({
      signal: 'logs',
      encoding: 'json',
      encode: (items) => Buffer.from(JSON.stringify(items)),
      isPriority: () => false,
      delivery: new SpoolDelivery(spool, sender, 'json'),
      shutdownTimeoutMs: 2000,
    });
    processor.add(1);
    let done = false;
    const shutdown = processor.shutdown().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await shutdown;
    expect(closed).toBe(true);
  });
});

describe('Spool', () => {
  it('names carry the record count; the oldest files are evicted past the limit and reported', () => {
    const evicted: Array<[string, number]> = [];
    const spool = new Spool({
      dir: mkdtempSync(join(tmpdir(), 'batchtel-unit-spool-')),
      prefix: 'traces',
      maxBytes: 2500,
      encoding: 'protobuf',
      onEvict: (file, bytes) => evicted.push([file.name, bytes]),
    });
    const files = [0, 1, 2, 3, 4].map((i) => spool.write(new Uint8Array(1000).fill(i), 10 + i)!);
    expect(files.map((f) => f.records)).toEqual([10, 11, 12, 13, 14]);
    expect(spool.names()).toEqual(files.slice(3).map((f) => f.name));
    expect(evicted).toEqual(files.slice(0, 3).map((f) => [f.name, 1000]));
    expect(spool.bytes()).toBe(2000);
    expect(spool.read(files[3]!)![0]).toBe(3);
  });
});
