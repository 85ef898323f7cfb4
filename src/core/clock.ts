/** Milliseconds since the epoch, fractional allowed. Injected so tests never sleep. */
export interface Clock {
  now(): number;
  /** Waits, e.g. between retries; resolves early (no throw) when the signal aborts. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Waits on real timers; an aborted signal ends the wait at once. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Wall-clock time with sub-millisecond resolution that never goes backwards within a process. */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: realSleep,
};

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private time = 0) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): number {
    this.time += ms;
    return this.time;
  }
  set(ms: number): void {
    this.time = ms;
  }
  /** Time passes instantly: tests of retries and stalls never wait. */
  sleep(ms: number): Promise<void> {
    if (ms > 0) this.time += ms;
    return Promise.resolve();
  }
}
