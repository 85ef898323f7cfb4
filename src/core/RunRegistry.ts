import type { Run } from './Run.js';

/** What a registry tells its subscribers. */
export type RegistryEvent =
  | { readonly type: 'created'; readonly run: Run }
  | { readonly type: 'finished'; readonly run: Run }
  | { readonly type: 'removed'; readonly run: Run };

export interface RunRegistryOptions {
  /** Finished runs kept for history; the oldest are forgotten first. */
  readonly maxFinished?: number;
  /** Runs kept in all; past it the oldest finished, then never started, then running runs are evicted (counted). */
  readonly maxRuns?: number;
  /** Runs never started are forgotten this long after they were created. */
  readonly maxAgeMs?: number;
}

/**
 * The in-process registry of runs: what the control server and board read.
 * Bounded: past `maxFinished` (500) finished runs the oldest are forgotten;
 * runs never started are forgotten `maxAgeMs` (1 h) after they were created;
 * past `maxRuns` (2,000) in all the oldest are evicted, finished first, then
 * never started, then running, and counted in `evicted`.
 *
 * @example
 * ```ts
 * import { RunRegistry, trackBatch } from 'batchtel';
 *
 * const registry = new RunRegistry();
 * trackBatch({ name: 'Import', registry, display: 'none' }).start();
 * console.log(registry.active().length); // 1
 * ```
 */
export class RunRegistry {
  private readonly runs = new Map<string, Run>();
  private readonly finishedOrder: string[] = [];
  private readonly addedAt = new Map<string, number>();
  private readonly listeners = new Set<(event: RegistryEvent) => void>();
  private readonly maxFinished: number;
  readonly maxRuns: number;
  readonly maxAgeMs: number;
  /** Runs evicted because the registry was full. */
  evicted = 0;
  private lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(options: RunRegistryOptions = {}) {
    this.maxFinished = options.maxFinished ?? 500;
    this.maxRuns = Math.max(1, options.maxRuns ?? 2000);
    this.maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
  }

  /** Registers a run (runs register themselves with the registry they were given). */
  add(run: Run): void {
    let id: string;
    let now: number;
    try {
      id = run.id;
      now = run.clock.now();
    } catch {
      return;
    }
    if (typeof id !== 'string') return;
    this.sweep(now);
    this.runs.delete(id);
    this.runs.set(id, run);
    this.addedAt.set(id, now);
    run.addListener({ onFinish: () => this.onFinished(run) });
    this.publish({ type: 'created', run });
    while (this.runs.size > this.maxRuns) this.evictOne();
  }

  /** The run with this id, if the registry still holds it. */
  get(id: string): Run | undefined {
    return typeof id === 'string' ? this.runs.get(id) : undefined;
  }

  /** Every run held, oldest first. */
  list(): Run[] {
    return [...this.runs.values()];
  }

  /** The runs not yet finished. */
  active(): Run[] {
    return this.list().filter((run) => !run.isFinished);
  }

  /** Forgets finished runs that ended before `beforeMs`; returns how many. */
  cleanup(beforeMs: number): number {
    if (typeof beforeMs !== 'number') return 0;
    let removed = 0;
    for (const run of this.list()) {
      if (run.isFinished && run.endTimeMs < beforeMs) {
        this.remove(run.id);
        removed++;
      }
    }
    return removed;
  }

  /** Forgets a run; returns whether it was there. */
  remove(id: string): boolean {
    const run = this.get(id);
    if (!run || !run.isFinished) return false;
    this.forget(run);
    return true;
  }

  /** Calls `listener` on every created, finished and removed run; returns the unsubscribe function. */
  subscribe(listener: (event: RegistryEvent) => void): () => void {
    if (typeof listener !== 'function') return () => false;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets runs never started older than maxAgeMs; looks at most once a second. */
  private sweep(nowMs: number): void {
    if (!(nowMs - this.lastSweepMs >= 1000)) return;
    this.lastSweepMs = nowMs;
    for (const run of [...this.runs.values()]) {
      const since = run.status === 'pending' ? this.addedAt.get(run.id) : undefined;
      if (since !== undefined && nowMs - since > this.maxAgeMs) this.forget(run);
    }
  }

  private evictOne(): void {
    let victim: Run | undefined;
    const oldestFinished = this.finishedOrder[0];
    if (oldestFinished !== undefined) victim = this.runs.get(oldestFinished);
    if (!victim)
      for (const run of this.runs.values())
        if (run.status === 'pending') {
          victim = run;
          break;
        }
    victim ??= this.runs.values().next().value;
    if (!victim) return;
    this.evicted++;
    this.forget(victim);
  }

  private forget(run: Run): void {
    if (this.runs.get(run.id) !== run) return;
    this.runs.delete(run.id);
    this.addedAt.delete(run.id);
    const index = this.finishedOrder.indexOf(run.id);
    if (index >= 0) this.finishedOrder.splice(index, 1);
    this.publish({ type: 'removed', run });
  }

  private onFinished(run: Run): void {
    if (this.runs.get(run.id) !== run) return;
    this.finishedOrder.push(run.id);
    this.publish({ type: 'finished', run });
    while (this.finishedOrder.length > this.maxFinished) {
      const oldest = this.runs.get(this.finishedOrder[0]!);
      if (oldest) this.forget(oldest);
      else this.finishedOrder.shift();
    }
  }

  private publish(event: RegistryEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not break the loop that finished the run.
      }
    }
  }
}

/** The registry that `createBatchProgress` and `trackBatch` use unless told otherwise. */
export const defaultRegistry = new RunRegistry();
