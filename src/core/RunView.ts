import type { RunStatus } from './runTypes.js';

/**
 * A run as a {@link RunRegistry} shows it: what it is, where it stands, and the one
 * control a reader of the registry has (cancel). Read-only; the run's own code
 * drives it through the `BatchRun` that `trackBatch` returned.
 */
export interface RunView {
  readonly id: string;
  readonly name: string;
  /** Low-cardinality identifier of the kind of run. */
  readonly operation: string;
  readonly category: string | undefined;
  readonly status: RunStatus;
  readonly isFinished: boolean;
  /** Items expected, when known. */
  readonly total: number | undefined;
  /** Items done: succeeded + failed + skipped. */
  readonly completed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  /** Fraction done in 0..1, or undefined when the total is unknown. */
  progress(): number | undefined;
  /** Asks the run to stop: aborts its signal; the run finishes as cancelled when its code next checks it. */
  cancel(reason?: string): void;
}
