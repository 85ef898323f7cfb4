import { Run } from './Run.js';
import type { RunView } from './RunView.js';

/** What a registry tells its subscribers. */
export type RegistryEvent =
  | { readonly type: 'created'; readonly run: RunView }
  | { readonly type: 'finished'; readonly run: RunView }
  | { readonly type: 'removed'; readonly run: RunView };

/** A registry event with the run itself, as batchtel's own layers hear it. */
export type HeldRunEvent = { readonly type: RegistryEvent['type']; readonly run: Run };

/**
 * The runs behind a registry's views, for batchtel's own layers (the server and
 * board read chunk statistics and ETAs that a {@link RunView} does not carry).
 * Not exported from any entry.
 */
export interface HeldRuns {
  get(id: string): Run | undefined;
  list(): Run[];
  active(): Run[];
  subscribe(listener: (event: HeldRunEvent) => void): () => void;
}

/** The runs a registry holds; see {@link HeldRuns}. */
export function heldRuns(registry: RunRegistry): HeldRuns {
  return heldBy(registry);
}
let heldBy: (registry: RunRegistry) => HeldRuns;

/** Bounds of a {@link RunRegistry}. */
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
  private readonly listeners = new Set<(event: HeldRunEvent) => void>();
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

  /** Registers a run (runs register themselves with the registry they were given); anything but a batchtel run is ignored. */
  add(run: RunView): void {
    let id: string;
    let now: number;
    try {
      // instanceof itself can throw (a Proxy trapping getPrototypeOf).
      if (!(run instanceof Run)) return;
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
  get(id: string): RunView | undefined {
    return this.run(id);
  }

  /** Every run held, oldest first. */
  list(): RunView[] {
    return this.allRuns();
  }

  /** The runs not yet finished. */
  active(): RunView[] {
    return this.activeRuns();
  }

  /** Forgets finished runs that ended before `beforeMs`; returns how many. */
  cleanup(beforeMs: number): number {
    if (typeof beforeMs !== 'number') return 0;
    let removed = 0;
    for (const run of this.allRuns()) {
      if (run.isFinished && run.endTimeMs < beforeMs) {
        this.remove(run.id);
        removed++;
      }
    }
    return removed;
  }

  /** Forgets a run; returns whether it was there. */
  remove(id: string): boolean {
    const run = this.run(id);
    if (!run || !run.isFinished) return false;
    this.forget(run);
    return true;
  }

  /** Calls `listener` on every created, finished and removed run; returns the unsubscribe function. */
  subscribe(listener: (event: RegistryEvent) => void): () => void {
    return this.listen(listener);
  }

  static {
    heldBy = (registry) => ({
      get: (id) => registry.run(id),
      list: () => registry.allRuns(),
      active: () => registry.activeRuns(),
      subscribe: (listener) => registry.listen(listener),
    });
  }

  private listen(listener: (event: HeldRunEvent) => void): () => void {
    if (typeof listener !== 'function') return () => false;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private run(id: string): Run | undefined {
    return typeof id === 'string' ? this.runs.get(id) : undefined;
  }

  private allRuns(): Run[] {
    return [...this.runs.values()];
  }

  private activeRuns(): Run[] {
    return this.allRuns().filter((run) => !run.isFinished);
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

  private publish(event: HeldRunEvent): void {
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
