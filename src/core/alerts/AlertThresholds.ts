/** The thresholds the evaluator needs; `batchtel`'s `alerts` option fills them (see src/api/options.ts for defaults). */
export interface AlertThresholds {
  readonly enabled: boolean;
  /** No episode resolves sooner than this after it was raised. */
  readonly minEpisodeMs: number;
  readonly rateLimit: { readonly hits: number; readonly windowMs: number };
  readonly highErrorRate: { readonly ratio: number; readonly minItems: number };
  readonly slowPerformance: { readonly factor: number; readonly baselineChunks: number; readonly recentChunks: number };
  readonly lowThroughput: { readonly itemsPerSecond?: number | undefined };
  readonly etaDeviation: { readonly percent: number; readonly stableMs: number };
  readonly qualityDegradation: { readonly threshold: number; readonly minSamples: number };
  readonly stalled: { readonly afterMs: number };
}
