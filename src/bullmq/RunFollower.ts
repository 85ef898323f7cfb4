import type { BatchStats } from '../api/BatchStats.js';
import type { EtaEstimate } from '../core/eta/index.js';
import type { RunSummary } from '../core/runTypes.js';
import type { RunView } from '../core/RunView.js';

/**
 * A distributed run seen from one process: the same progress, ETA, alerts,
 * terminal line, board entry and summary as a local run, rebuilt from Redis.
 * `followRun` makes it.
 */
export interface RunFollower {
  /** The run's ID. */
  readonly id: string;
  /** Aborts when the run is cancelled, from this process or any other. */
  readonly signal: AbortSignal;
  /** Items settled so far, across every worker. */
  readonly completed: number;
  /** The run as this process shows it: counts, status, progress (read-only). */
  readonly run: RunView;
  /**
   * Resolves with the summary when the last chunk settles (or the run is
   * cancelled and drained); in the follower that finishes the run, once its run
   * span and events were flushed, so the process may exit then.
   */
  readonly done: Promise<RunSummary>;
  /**
   * True in the one follower that finished the run (it emitted the run span and
   * the summary); false in the others, which only show the final state.
   */
  readonly finishedHere: boolean;
  /** The run's progress (0..1), undefined when its total is unknown. */
  progress(): number | undefined;
  /** The ETA now, undefined until there is a pace. */
  eta(): EtaEstimate | undefined;
  /** The stats so far, as a local run reports them. */
  stats(): BatchStats;
  /** Cancels the run for every process: waiting chunks are removed, active ones abort. */
  cancel(): Promise<void>;
  /** Stops following (the run goes on); the local view is left as it is. */
  close(): Promise<void>;
}
