import { performance } from 'node:perf_hooks';

/**
 * The memory through which the app's thread hands encoded requests to one
 * export worker: a ring of shared memory, so a request is copied in once and
 * nothing is allocated per request on either side. (A transferred buffer
 * stays in memory until the worker's next garbage collection, which a worker
 * the machine gives little time, at its lower priority, runs seldom.) The ring is also
 * the bound on how far the worker may fall behind: when it is full, the
 * app's thread waits for the worker, as it waits for a full queue, at most
 * `maxWaitMs` a request.
 *
 * Requests are placed one after another (one that does not fit before the
 * end starts again at 0, the rest of the end counted with it), and the
 * worker, which takes them in order, gives back each one's `consumed` bytes
 * once it no longer needs them. The count it gives back is in shared memory:
 * while this thread waits, no message from the worker can be read.
 */
export class WorkerHandOver {
  /** The requests' bytes, shared with the worker. */
  readonly ring: Uint8Array;
  /** [0]: bytes the worker has given back since it started (wraps at 2^32). */
  readonly released = new Int32Array(new SharedArrayBuffer(4));
  /** After a `place` that returned true: where the request starts, and the bytes the worker gives back for it. */
  at = 0;
  consumed = 0;
  /** Ms the last `place` waited for the worker. */
  waited = 0;
  /** Bytes placed since the start (wraps like `released`), and where the next request goes. */
  private placed = 0;
  private head = 0;

  constructor(
    capacity: number,
    private readonly maxWaitMs: number,
    private readonly elapsed: () => number = () => performance.now(),
  ) {
    this.ring = new Uint8Array(new SharedArrayBuffer(capacity));
  }

  /** Bytes placed that the worker has not given back. */
  inUse(): number {
    return (this.placed - Atomics.load(this.released, 0)) | 0;
  }

  /**
   * Copies `body` into the ring and sets `at` and `consumed`; false if it
   * cannot: larger than the ring, or, after `wait`ing `maxWaitMs` (or not
   * at all), still no room (the caller then hands the request over another way).
   */
  place(body: Uint8Array, wait: boolean): boolean {
    this.waited = 0;
    const capacity = this.ring.length;
    const size = body.length;
    if (size > capacity) return false;
    let started: number | undefined;
    for (;;) {
      const inUse = this.inUse();
      // An empty ring starts again at 0, so a request is never split by a gap it did not need.
      if (inUse === 0) this.head = 0;
      const wrap = this.head + size > capacity;
      const gap = wrap ? capacity - this.head : 0;
      if (inUse + gap + size <= capacity) {
        this.at = wrap ? 0 : this.head;
        this.consumed = gap + size;
        break;
      }
      if (!wait || this.waited >= this.maxWaitMs) return false;
      started ??= this.elapsed();
      // Returns at once if the worker gave bytes back since they were read; the slice bounds a missed wake-up.
      Atomics.wait(this.released, 0, (this.placed - inUse) | 0, Math.min(this.maxWaitMs - this.waited, 50));
      this.waited = this.elapsed() - started;
    }
    this.ring.set(body, this.at);
    this.head = this.at + size;
    this.placed = (this.placed + this.consumed) | 0;
    return true;
  }
}
