/** Milliseconds since the epoch, fractional allowed. Injected so tests never sleep. */
export interface Clock {
  /** Milliseconds since the epoch (or since any fixed origin, for a test clock). */
  now(): number;
  /** Waits, e.g. between retries; resolves early (no throw) when the signal aborts. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once `ms` have passed on this clock; returns a function that cancels it. */
  timer?(ms: number, fn: () => void): () => void;
}

/** The longest any wait of batchtel's lasts (a retry, a Retry-After): one hour. */
export const MAX_WAIT_MS = 60 * 60_000;
/** setTimeout takes a signed 32-bit delay; anything longer fires after 1 ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** A clock that is not the system's is looked at this often (real time) when it has no timer of its own. */
const FOREIGN_CLOCK_POLL_MS = 1000;

/** Keeps a wait within 0..MAX_WAIT_MS; NaN counts as 0. */
export function clampWait(ms: number): number {
  return ms > 0 ? Math.min(ms, MAX_WAIT_MS) : 0;
}

/**
 * One abort listener per signal, however many sleeps wait on it: concurrent
 * sleeps would otherwise pass the EventTarget's listener warning threshold.
 */
const sleepers = new WeakMap<AbortSignal, Set<() => void>>();

function onAbort(signal: AbortSignal, wake: () => void): () => void {
  let waiting = sleepers.get(signal);
  if (!waiting) {
    const set = new Set<() => void>();
    waiting = set;
    sleepers.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const fn of [...set]) fn();
        set.clear();
      },
      { once: true },
    );
  }
  const set = waiting;
  set.add(wake);
  return () => set.delete(wake);
}

/** Waits on real timers, at most MAX_WAIT_MS; an aborted signal ends the wait at once. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wait = clampWait(ms);
    if (signal?.aborted || wait <= 0) return resolve();
    let forget: (() => void) | undefined;
    const done = () => {
      clearTimeout(timer);
      forget?.();
      resolve();
    };
    const timer = setTimeout(done, Math.min(wait, MAX_TIMEOUT_MS));
    if (signal) forget = onAbort(signal, done);
  });
}

/** Wall-clock time with sub-millisecond resolution that never goes backwards within a process. */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: realSleep,
};

/**
 * Calls `fn` once `ms` have passed on `clock`: its own timer when it has one,
 * else real timers that check the clock (unref'd: they keep no process alive).
 */
export function clockTimer(clock: Clock, ms: number, fn: () => void): () => void {
  if (clock.timer) return clock.timer(ms, fn);
  const deadline = clock.now() + Math.max(0, ms);
  const poll = clock === systemClock ? MAX_TIMEOUT_MS : FOREIGN_CLOCK_POLL_MS;
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = () => {
    if (cancelled) return;
    const left = deadline - clock.now();
    if (!(left > 0)) {
      handle = undefined;
      fn();
      return;
    }
    handle = setTimeout(arm, Math.min(left, poll));
    handle.unref?.();
  };
  handle = setTimeout(arm, Math.min(Math.max(0, ms), poll));
  handle.unref?.();
  return () => {
    cancelled = true;
    if (handle) clearTimeout(handle);
  };
}

/**
 * A clock the test moves by hand; its timers fire as it is moved.
 *
 * @example
 * ```ts
 * import { ManualClock, trackBatch } from 'batchtel';
 *
 * const clock = new ManualClock(Date.UTC(2026, 0, 1));
 * const run = trackBatch({ name: 'Test', total: 10, clock, display: 'none' }).start();
 * run.add(5);
 * clock.advance(1000);
 * console.log(run.stats().itemsPerSecond); // 5
 * ```
 */
export class ManualClock implements Clock {
  private readonly timers: Array<{ at: number; fn: () => void }> = [];

  constructor(private time = 0) {}
  /** The time it was set to. */
  now(): number {
    return this.time;
  }
  /** Moves time forward by `ms`, firing the timers due; returns the new time. */
  advance(ms: number): number {
    this.set(this.time + ms);
    return this.time;
  }
  /** Sets the time, firing the timers due. */
  set(ms: number): void {
    this.time = ms;
    this.fire();
  }
  /** Time passes instantly: tests of retries and stalls never wait. */
  sleep(ms: number): Promise<void> {
    if (ms > 0) this.advance(ms);
    return Promise.resolve();
  }
  timer(ms: number, fn: () => void): () => void {
    const entry = { at: this.time + Math.max(0, ms), fn };
    this.timers.push(entry);
    return () => {
      const index = this.timers.indexOf(entry);
      if (index >= 0) this.timers.splice(index, 1);
    };
  }

  private fire(): void {
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.timers.length; i++) {
        if (this.timers[i]!.at <= this.time && (next < 0 || this.timers[i]!.at < this.timers[next]!.at)) next = i;
      }
      if (next < 0) return;
      const [entry] = this.timers.splice(next, 1);
      try {
        entry!.fn();
      } catch {
        // A timer's failure is its owner's to report, never the caller's who moved the clock.
      }
    }
  }
}
