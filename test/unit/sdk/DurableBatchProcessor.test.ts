import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { diag } from '@opentelemetry/api';
import type { Delivery } from '../../../src/sdk/delivery/Delivery.js';
import { DeferredRequestBuilder } from '../../../src/sdk/delivery/DeferredRequestBuilder.js';
import { jsonRequestBuilder } from '../../support/jsonRequestBuilder.js';
import { DurableBatchProcessor } from '../../../src/sdk/delivery/DurableBatchProcessor.js';
import type { RequestBuilder } from '../../../src/sdk/delivery/RequestBuilder.js';
import { Spool, type SpoolFile } from '../../../src/sdk/delivery/Spool.js';
import type { SpoolSender } from '../../../src/sdk/delivery/SpoolSender.js';
import { SpoolDelivery } from '../../../src/sdk/delivery/SpoolDelivery.js';

/** `inner` with its `add` replaced (to watch, time or refuse records). */
function withAdd(inner: RequestBuilder<number>, add: (n: number) => boolean): RequestBuilder<number> {
  return {
    get records() {
      return inner.records;
    },
    get bytes() {
      return inner.bytes;
    },
    add,
    take: () => inner.take(),
  };
}

/** A JSON builder that also lists the records it encodes, in order. */
function recordingBuilder(): { encoded: number[]; builder: RequestBuilder<number> } {
  const encoded: number[] = [];
  const inner = jsonRequestBuilder();
  const builder = withAdd(inner, (n) => {
    encoded.push(n);
    return inner.add(n);
  });
  return { encoded, builder };
}

/** Records what reaches the sender: one entry per written request. */
function setup(
  options: {
    maxBatchSize?: number;
    maxQueueSize?: number;
    syncIntervalMs?: number;
    sizeOf?: (n: number) => number;
    maxBatchBytes?: number;
    builder?: RequestBuilder<number>;
    encodeBudgetMs?: number;
    /** Encoding costs this much per record on the `elapsed` clock (ms). */
    encodeCostMs?: number;
  } = {},
) {
  let now = 0;
  let elapsed = 0;
  const { sizeOf = () => 1, encodeCostMs = 0, builder = jsonRequestBuilder(sizeOf), ...processorOptions } = options;
  // Every record the processor encodes moves the `elapsed` clock by its cost.
  const timed = withAdd(builder, (n) => {
    elapsed += encodeCostMs;
    return builder.add(n);
  });
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
    builder: timed,
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

  it('a full request may wait (for the export worker to start) as long as the sync interval allows; a priority write may not', () => {
    let now = 0;
    const writes: Array<{ records: number; mayWaitMs: number | undefined }> = [];
    const delivery = { write: (_body: Uint8Array, records: number, mayWaitMs?: number) => writes.push({ records, mayWaitMs }) } as unknown as Delivery;
    const processor = new DurableBatchProcessor<number>({
      signal: 'logs',
      builder: jsonRequestBuilder(),
      isPriority: (n) => n < 0,
      delivery,
      maxBatchSize: 3,
      syncIntervalMs: 1000,
      priorityDelayMs: 50,
      now: () => now,
    });
    now = 200;
    for (const n of [1, 2, 3]) processor.add(n);
    vi.advanceTimersToNextTimer();
    // Everything older than the start (the last full write) is written; these records may stay in memory 800 ms more.
    expect(writes).toEqual([{ records: 3, mayWaitMs: 800 }]);
    processor.add(-1);
    vi.advanceTimersByTime(50);
    expect(writes[1]).toEqual({ records: 1, mayWaitMs: 0 });
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

  it('records are encoded in the turn after the caller hands them over, a budget per turn; full requests are written then', () => {
    const { encoded, builder } = recordingBuilder();
    // 0.05 ms a record, 4 ms a turn: 80 records a turn (the budget is looked at every 64).
    const { processor, written } = setup({ maxBatchSize: 100, builder, encodeBudgetMs: 4, encodeCostMs: 0.05 });
    for (let n = 0; n < 250; n++) processor.add(n);
    // Nothing in the caller's turn.
    expect(encoded).toEqual([]);
    expect(processor.buffered()).toBe(250);
    vi.advanceTimersToNextTimer();
    expect(encoded).toHaveLength(128);
    // The full request went out in that turn, with what was encoded after it.
    expect(written.map((w) => w.length)).toEqual([100, 28]);
    // The next turn: past 64 records the budget is not spent yet, and 122 is all there is.
    vi.advanceTimersToNextTimer();
    expect(written.map((w) => w.length)).toEqual([100, 28, 100, 22]);
    expect(written.flat()).toEqual(Array.from({ length: 250 }, (_, n) => n));
    expect(processor.buffered()).toBe(0);
    expect(processor.counts.requests).toEqual({ size: 4 });
  });

  it('a priority record still waiting to be encoded when a full request goes out keeps its priority delay', () => {
    const { processor, written } = setup({ maxBatchSize: 100, encodeBudgetMs: 4, encodeCostMs: 0.05, syncIntervalMs: 10_000 });
    for (let n = 0; n < 150; n++) processor.add(n);
    processor.add(-1);
    vi.advanceTimersToNextTimer();
    // The first turn encoded 128 and wrote them; the priority record was not among them.
    expect(written.flat()).toHaveLength(128);
    vi.advanceTimersByTime(50);
    expect(written.flat()).toEqual([...Array.from({ length: 150 }, (_, n) => n), -1]);
    expect(processor.counts.requests).toEqual({ size: 2, priority: 1 });
  });

  it('a caller that never yields has its records encoded in its turn, 1,024 at a time: what waits stays small', () => {
    const { processor, written } = setup({ maxBatchSize: 1000 });
    for (let n = 0; n < 1023; n++) processor.add(n);
    expect(processor.buffered()).toBe(1023);
    processor.add(1023);
    // Encoded, one full request among them, and nothing written in the caller's turn: that waits for a yield or the bounds.
    expect(written).toEqual([]);
    expect(processor.buffered()).toBe(1024);
    vi.advanceTimersToNextTimer();
    expect(written.map((w) => w.length)).toEqual([1000, 24]);
    expect(processor.counts.requests).toEqual({ size: 2 });
  });

  it('a caller that yields is never made to catch up in its turn when the encoder is slower than its loop (as while V8 warms up); the queue bound still holds', () => {
    const { encoded, builder } = recordingBuilder();
    // 128 encoded a turn (0.05 ms each, a 4 ms budget), 512 handed over a turn: the backlog grows by 384 a turn.
    const { processor, written } = setup({ maxBatchSize: 100, maxQueueSize: 2500, builder, encodeBudgetMs: 4, encodeCostMs: 0.05, syncIntervalMs: 10_000 });
    let n = 0;
    for (let turn = 1; turn <= 4; turn++) {
      const before = encoded.length;
      for (let i = 0; i < 512; i++) processor.add(n++);
      expect(encoded.length, `nothing encoded in the caller's turn ${turn}`).toBe(before);
      vi.advanceTimersToNextTimer();
      expect(encoded.length).toBe(128 * turn);
    }
    // 1,536 wait, past ENCODE_BEHIND, all handed over in turns the caller yielded.
    expect(n - encoded.length).toBe(1536);
    // The queue's bound: 2,500 waiting (the last turn's requests are written), and the caller's turn encodes and writes them all (back-pressure).
    for (let i = 0; i < 963; i++) processor.add(n++);
    expect(encoded).toHaveLength(512);
    processor.add(n++);
    expect(encoded).toHaveLength(3012);
    expect(processor.buffered()).toBe(0);
    expect(processor.counts.requests.backpressure).toBe(25);
    expect(written.flat()).toEqual(Array.from({ length: 3012 }, (_, k) => k));
  });

  it('records waiting to be encoded stay in memory no longer than the sync interval, and a flush takes them all, in order', async () => {
    const { processor, written, advance } = setup({ maxBatchSize: 100, encodeBudgetMs: 4, encodeCostMs: 0.05, syncIntervalMs: 1000 });
    for (let n = 0; n < 150; n++) processor.add(n);
    advance(600);
    vi.advanceTimersToNextTimer();
    // One turn: 128 encoded, the first 100 written with the 28 after them.
    expect(written.flat()).toHaveLength(128);
    advance(400);
    // No turn since, but a second after the last write the next record writes the rest.
    processor.add(150);
    expect(written.flat()).toEqual(Array.from({ length: 151 }, (_, n) => n));
    for (let n = 151; n < 160; n++) processor.add(n);
    await processor.forceFlush();
    expect(written.flat()).toEqual(Array.from({ length: 160 }, (_, n) => n));
    expect(processor.buffered()).toBe(0);
  });

  it('a record that cannot be encoded is refused and counted, the others delivered; it is said once', () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const inner = jsonRequestBuilder();
    const builder = withAdd(inner, (n) => {
      if (n === 13) throw new Error('unencodable');
      return n === 7 ? false : inner.add(n);
    });
    const { processor, written } = setup({ builder });
    for (const n of [1, 7, 2, 13, 3]) processor.add(n);
    void processor.forceFlush();
    expect(written).toEqual([[1, 2, 3]]);
    expect(processor.counts).toMatchObject({ accepted: 5, refused: { encode_failed: 2 } });
    expect(processor.buffered()).toBe(0);
    expect(error).toHaveBeenCalledTimes(1);
    error.mockRestore();
  });

  it('a request that cannot be encoded whole is refused whole, and the next one goes out', () => {
    const error = vi.spyOn(diag, 'error').mockImplementation(() => {});
    const builder = new DeferredRequestBuilder<number>(
      (items) => {
        if (items.includes(2)) throw new Error('cyclic');
        return Buffer.from(JSON.stringify(items));
      },
      () => 1,
    );
    const { processor, written } = setup({ maxBatchSize: 2, builder });
    for (const n of [1, 2, 3, 4]) processor.add(n);
    vi.runOnlyPendingTimers();
    expect(written).toEqual([[3, 4]]);
    expect(processor.counts).toMatchObject({ accepted: 4, refused: { encode_failed: 2 }, requests: { size: 1 } });
    expect(processor.buffered()).toBe(0);
    error.mockRestore();
  });

  it('full requests waiting for the caller to yield count toward maxQueueSize: a caller that never yields meets back-pressure', () => {
    const { processor, written } = setup({ maxBatchSize: 100, maxQueueSize: 250 });
    for (let n = 0; n < 249; n++) processor.add(n);
    // Two full requests wait, 49 records are being built: under the bound.
    expect(written).toEqual([]);
    expect(processor.buffered()).toBe(249);
    processor.add(249);
    expect(written.map((w) => w.length)).toEqual([100, 100, 50]);
    expect(written.flat()).toEqual(Array.from({ length: 250 }, (_, n) => n));
    expect(processor.buffered()).toBe(0);
    expect(processor.counts.requests).toEqual({ backpressure: 3 });
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
      builder: jsonRequestBuilder(),
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
