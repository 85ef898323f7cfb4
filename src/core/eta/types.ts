export type EtaMethod = 'linear' | 'exponential' | 'adaptive';

/** What an ETA rests on. Throughputs are in items per second here (the ProgressTracker reports them per minute, as its other throughputs). */
export interface EtaEstimateFactors {
  readonly currentThroughput: number;
  readonly averageThroughput: number;
  /** Share of elapsed time spent waiting on rate limits (Retry-After). */
  readonly rateLimitingImpact: number;
  /** Current over average time per item: above 1 means items got slower. */
  readonly complexityFactor: number;
  /** 1 minus the median relative forecast error measured so far (0..1). */
  readonly historicalAccuracy: number;
}

/** An estimate of the remaining time, with a prediction interval (the file-progress tracker turns it into its public `ETACalculation`). */
export interface EtaEstimate {
  readonly method: EtaMethod;
  readonly estimatedTimeRemainingMs: number;
  /** Epoch milliseconds. */
  readonly estimatedCompletionTime: number;
  /** Prediction interval of the remaining time at `level` (0.8 by default). */
  readonly interval: { readonly lowMs: number; readonly highMs: number; readonly level: number };
  /**
   * Probability, under the measured forecast-error distribution, that the true
   * remaining time is within ±20% of the estimate. 0 until errors were measured.
   */
  readonly confidence: number;
  readonly factors: EtaEstimateFactors;
}

export interface EtaEstimator {
  readonly method: EtaMethod;
  /** Cumulative items done at time t (ms): at chunk boundaries or on a timer, never per item. O(1). */
  observe(timeMs: number, completed: number): void;
  /** Cumulative time spent waiting on rate limits. */
  observeRateLimitWait?(timeMs: number, totalWaitMs: number): void;
  /**
   * Undefined until there is enough data. `completed`: items done at `nowMs`, when
   * more than at the last observation (the estimate then takes them off).
   */
  estimate(nowMs: number, total: number, completed?: number): EtaEstimate | undefined;
}
