import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WorkerHandOver } from '../../../src/sdk/delivery/WorkerHandOver.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** The worker's side, on this thread: gives back `consumed` bytes, as the export worker does once a request is written. */
const giveBack = (h: WorkerHandOver, consumed: number) => Atomics.add(h.released, 0, consumed);

/** A thread that gives back `consumed` bytes `afterMs` after it starts. */
function givesBackLater(released: Int32Array, consumed: number, afterMs: number): Worker {
  return new Worker(
    `const { workerData } = require('node:worker_threads');
     setTimeout(() => { Atomics.add(workerData.released, 0, workerData.consumed); Atomics.notify(workerData.released, 0); }, workerData.afterMs);`,
    { eval: true, workerData: { released, consumed, afterMs } },
  );
}

describe('WorkerHandOver', () => {
  it('places requests one after another and copies them in', () => {
    const h = new WorkerHandOver(100, 1000);
    expect(h.place(bytes(30, 1), true)).toBe(true);
    expect([h.at, h.consumed]).toEqual([0, 30]);
    expect(h.place(bytes(50, 2), true)).toBe(true);
    expect([h.at, h.consumed]).toEqual([30, 50]);
    expect(h.ring.subarray(0, 30).every((b) => b === 1)).toBe(true);
    expect(h.ring.subarray(30, 80).every((b) => b === 2)).toBe(true);
    expect(h.inUse()).toBe(80);
  });

  it('a request that does not fit before the end starts at 0 once the bytes there are given back, the end counted with it', () => {
    const h = new WorkerHandOver(100, 1000);
    h.place(bytes(40, 1), true);
    h.place(bytes(40, 2), true);
    // 20 left at the end, and 0-39 still held: no room for 30 yet.
    expect(h.place(bytes(30, 3), false)).toBe(false);
    giveBack(h, 40);
    expect(h.place(bytes(30, 3), false)).toBe(true);
    expect([h.at, h.consumed]).toEqual([0, 50]);
    expect(h.ring.subarray(40, 80).every((b) => b === 2)).toBe(true);
    giveBack(h, 40);
    giveBack(h, 50);
    expect(h.inUse()).toBe(0);
    // An empty ring starts again at 0.
    h.place(bytes(90, 4), false);
    expect([h.at, h.consumed]).toEqual([0, 90]);
  });

  it('a request larger than the ring is not placed, and does not wait', () => {
    const h = new WorkerHandOver(100, 60_000);
    expect(h.place(bytes(101, 1), true)).toBe(false);
    expect(h.waited).toBe(0);
  });

  it('a full ring waits on this thread until the worker gives room back', async () => {
    const h = new WorkerHandOver(100, 60_000);
    h.place(bytes(60, 1), true);
    h.place(bytes(30, 2), true);
    const worker = givesBackLater(h.released, 60, 100);
    try {
      await new Promise<void>((resolve) => worker.once('online', resolve));
      expect(h.place(bytes(50, 3), true)).toBe(true);
      // It returned because the worker gave room back (not at its 60 s limit).
      expect(Atomics.load(h.released, 0)).toBe(60);
      expect(h.waited).toBeGreaterThan(0);
      expect(h.waited).toBeLessThan(30_000);
      expect([h.at, h.consumed]).toEqual([0, 60]);
    } finally {
      await worker.terminate();
    }
  });

  it('a worker that gives nothing back is waited for at most maxWaitMs a request', () => {
    const h = new WorkerHandOver(100, 120);
    h.place(bytes(90, 1), true);
    expect(h.place(bytes(50, 2), true)).toBe(false);
    expect(h.waited).toBeGreaterThanOrEqual(120);
    expect(h.ring.subarray(0, 90).every((b) => b === 1)).toBe(true);
  });

  it('reads the counts across their wrap at 2^31', () => {
    const h = new WorkerHandOver(100, 1000);
    (h as unknown as { placed: number }).placed = 2 ** 31 - 10;
    Atomics.store(h.released, 0, 2 ** 31 - 10);
    h.place(bytes(30, 1), true);
    expect(h.inUse()).toBe(30);
    giveBack(h, 30);
    expect(Atomics.load(h.released, 0)).toBeLessThan(0);
    expect(h.inUse()).toBe(0);
  });

  it('no request held is ever overwritten (random sizes, the worker giving back in order at random)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const h = new WorkerHandOver(1000, 1000);
    const held: Array<{ at: number; length: number; consumed: number; fill: number }> = [];
    let placed = 0;
    for (let i = 0; i < 20_000; i++) {
      if (held.length > 0 && random() < 0.45) {
        const oldest = held.shift()!;
        // Intact until given back.
        expect(h.ring.subarray(oldest.at, oldest.at + oldest.length).every((b) => b === oldest.fill)).toBe(true);
        giveBack(h, oldest.consumed);
        continue;
      }
      const length = 1 + Math.floor(random() * 300);
      const fill = 1 + (i % 250);
      if (!h.place(bytes(length, fill), false)) {
        // An empty ring takes any request that fits it.
        expect(h.inUse()).toBeGreaterThan(0);
        continue;
      }
      placed++;
      for (const r of held) expect(h.ring.subarray(r.at, r.at + r.length).every((b) => b === r.fill)).toBe(true);
      held.push({ at: h.at, length, consumed: h.consumed, fill });
      expect(held.reduce((sum, r) => sum + r.consumed, 0)).toBe(h.inUse());
    }
    expect(placed).toBeGreaterThan(5000);
  });
});
