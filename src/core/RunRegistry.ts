import type { Run } from './Run.js';

export type RegistryEvent =
  | { readonly type: 'created'; readonly run: Run }
  | { readonly type: 'finished'; readonly run: Run }
  | { readonly type: 'removed'; readonly run: Run };

export interface RunRegistryOptions {
  /** Finished runs kept for history; the oldest are forgotten first. */
  readonly maxFinished?: number;
}

/**
 * The in-process registry of runs: what the control server and board read.
 * Active runs are always kept; finished runs are bounded.
 */
export class RunRegistry {
  private readonly runs = new Map<string, Run>();
  private readonly finishedOrder: string[] = [];
  private readonly listeners = new Set<(event: RegistryEvent) => void>();
  private readonly maxFinished: number;

  constructor(options: RunRegistryOptions = {}) {
    this.maxFinished = options.maxFinished ?? 500;
  }

  add(run: Run): void {
    this.runs.set(run.id, run);
    run.addListener({ onFinish: () => this.onFinished(run) });
    this.publish({ type: 'created', run });
  }

  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  list(): Run[] {
    return [...this.runs.values()];
  }

  active(): Run[] {
    return this.list().filter((run) => !run.isFinished);
  }

  /** Forgets finished runs that ended before `beforeMs`; returns how many. */
  cleanup(beforeMs: number): number {
    let removed = 0;
    for (const run of this.list()) {
      if (run.isFinished && run.endTimeMs < beforeMs) {
        this.remove(run.id);
        removed++;
      }
    }
    return removed;
  }

  remove(id: string): boolean {
    const run = this.runs.get(id);
    if (!run || !run.isFinished) return false;
    this.runs.delete(id);
    const index = this.finishedOrder.indexOf(id);
    if (index >= 0) this.finishedOrder.splice(index, 1);
    this.publish({ type: 'removed', run });
    return true;
  }

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onFinished(run: Run): void {
    this.finishedOrder.push(run.id);
    this.publish({ type: 'finished', run });
    while (this.finishedOrder.length > this.maxFinished) {
      const oldest = this.finishedOrder.shift()!;
      const evicted = this.runs.get(oldest);
      this.runs.delete(oldest);
      if (evicted) this.publish({ type: 'removed', run: evicted });
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
