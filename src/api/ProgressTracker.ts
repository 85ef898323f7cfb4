/*
 * Over 350 lines on purpose: the file-progress tracker's public types (its
 * documented shapes: ProgressMetrics, ETACalculation, ETAFactors, options) sit
 * beside the one class that fills them, so its API reads in one file.
 */
import { firingAlert, type Alert } from '../core/alert.js';
import type { Run } from '../core/Run.js';
import type { ItemStatus } from '../core/runTypes.js';
import { BATCH_ALERT_GROUP_VALUES } from '../semconv.js';
import { buildStats, type BatchStats } from './BatchStats.js';
import { createRun } from './createRun.js';
import { v, type Input, type Output } from '../core/check.js';
import { parseOptions, registerOptionsPlace } from '../core/parseOptions.js';
import type { AlertOptionsInput, RunOptionsInput, TelemetryOptionsInput } from './options.js';

/** The file-progress tracker's modes: each one switches work off, not just output. */
export type TrackingMode = 'minimal' | 'basic' | 'enhanced' | 'comprehensive';

const configSchema = v.strictObject({
  /** Most often `onProgressUpdate` is called (also on a timer while files are in flight). */
  updateIntervalMs: v.number().int().min(0).default(1000),
  /** How often `onETAUpdate` is called with a freshly observed ETA, whatever `updateIntervalMs` is. */
  etaUpdateIntervalMs: v.number().int().min(0).default(5000),
  throughputWindowMs: v.number().int().min(1000).default(60_000),
  enableRealTimeUpdates: v.boolean().default(true),
  enablePerformanceAlerts: v.boolean().default(true),
  /** Adaptive ETA when on, linear when off. */
  enableETAOptimization: v.boolean().default(true),
  enableQualityTracking: v.boolean().default(true),
  alertThresholds: v
    .strictObject({
      /** A file slower than this raises slow_performance. */
      slowProcessingMs: v.number().int().min(1).default(60_000),
      highErrorRate: v.number().gt(0).max(1).default(0.1),
      /** Files per minute. */
      lowThroughput: v.number().gt(0).optional(),
      etaDeviationPercent: v.number().gt(0).default(50),
      qualityScoreThreshold: v.number().gt(0).max(1).default(0.7),
    })
    .default(() => ({ slowProcessingMs: 60_000, highErrorRate: 0.1, etaDeviationPercent: 50, qualityScoreThreshold: 0.7 })),
});

registerOptionsPlace(configSchema, '`config` in the ProgressTracker options');

/** The tracker's `config`: update intervals, alert thresholds, quality tracking. */
export type ProgressTrackingConfig = Input<typeof configSchema>;

/** One point of the tracker's throughput history. */
export interface ThroughputDataPoint {
  readonly timestamp: Date;
  /** Files per minute. */
  readonly throughput: number;
}

/** The file-progress tracker's `ProgressMetrics`. */
export interface ProgressMetrics {
  totalFiles: number;
  filesCompleted: number;
  filesFailed: number;
  filesPending: number;
  filesProcessing: number;
  progressPercentage: number;
  startTime: Date;
  currentTime: Date;
  elapsedTimeMs: number;
  estimatedTimeRemainingMs?: number;
  estimatedCompletionTime?: Date;
  averageProcessingTimeMs: number;
  /** Files per minute, over the latest sampling interval. */
  currentThroughput: number;
  /** Files per minute. */
  peakThroughput: number;
  throughputHistory: ThroughputDataPoint[];
  rateLimitHits: number;
  rateLimitDelayMs: number;
  apiCallsTotal: number;
  apiCallsSuccessful: number;
  apiCallsFailed: number;
  apiSuccessRate: number;
  totalTokensUsed: number;
  estimatedCost: number;
  costPerFile: number;
  tokensPerFile: number;
  apiEfficiency: number;
  retryCount: number;
  errorRate: number;
  qualityScore: number;
}

/** What the ETA rests on; throughputs in files per minute, as everywhere in the tracker. */
export interface ETAFactors {
  /** Files per minute over the latest observed interval. */
  currentThroughput: number;
  /** Files per minute since the start. */
  averageThroughput: number;
  /** Share of elapsed time spent waiting on rate limits (0..1). */
  rateLimitingImpact: number;
  /** Average over current throughput: above 1 means files got slower. */
  complexityFactor: number;
  /** 1 minus the median relative forecast error measured so far (0..1). */
  historicalAccuracy: number;
}

/** The file-progress tracker's `ETACalculation`, with the prediction interval batchtel adds. */
export interface ETACalculation {
  estimatedTimeRemainingMs: number;
  estimatedCompletionTime: Date;
  confidence: number;
  method: 'linear' | 'exponential' | 'adaptive' | 'ml_based';
  interval: { lowMs: number; highMs: number; level: number };
  factors: ETAFactors;
}

/** Called by the tracker; an exception thrown by one is caught and reported, never surfaced. */
export interface ProgressCallbacks {
  /** Every `updateIntervalMs`, with the current metrics. */
  onProgressUpdate?(metrics: ProgressMetrics): void;
  /** Every `etaUpdateIntervalMs` (5 s), with a fresh ETA. */
  onETAUpdate?(eta: ETACalculation): void;
  /** When an alert starts firing. */
  onPerformanceAlert?(alert: Alert): void;
}

/** Options of `new ProgressTracker(sessionId, options)`. */
export interface ProgressTrackerOptions {
  mode?: TrackingMode;
  config?: ProgressTrackingConfig;
  callbacks?: ProgressCallbacks;
  /** Files expected; without it, the files registered so far (any status) are the total. */
  total?: number;
  name?: string;
  operation?: string;
  category?: string;
  service?: string;
  metadata?: Record<string, string | number | boolean>;
  clock?: import('../core/clock.js').Clock;
  registry?: import('../core/RunRegistry.js').RunRegistry;
  telemetry?: TelemetryOptionsInput;
  display?: 'auto' | 'tty' | 'plain' | 'none';
  /** Accepted for compatibility with earlier trackers; persistence belongs to the telemetry backend. */
  enablePersistence?: boolean;
  enableAnalytics?: boolean;
}

const MODES: readonly TrackingMode[] = ['minimal', 'basic', 'enhanced', 'comprehensive'];

/**
 * The file-progress tracker, over the same core as `createBatchProgress`: file-level
 * progress with stages, ETA with confidence, throughput history, quality,
 * tokens and cost, alerts and callbacks; the same telemetry.
 *
 * @example
 * ```ts
 * import { ProgressTracker } from 'batchtel';
 *
 * const tracker = new ProgressTracker('session-1', { mode: 'enhanced', total: 2 });
 * tracker.updateFileProgress('a.pdf', { status: 'processing', stage: 'embedding', progress: 50 });
 * tracker.updateFileProgress('a.pdf', { status: 'completed' });
 * console.log(tracker.getCurrentMetrics().progressPercentage, tracker.calculateETA()?.confidence);
 * tracker.stop();
 * ```
 */
export class ProgressTracker {
  readonly mode: TrackingMode;
  private readonly run: Run;
  private readonly config: Output<typeof configSchema>;
  private readonly callbacks: ProgressCallbacks;
  private lastProgressCall = Number.NEGATIVE_INFINITY;
  private lastEtaCall = Number.NEGATIVE_INFINITY;
  private lastSampleAt: number;
  private lastSampleCount = 0;
  private slowFiles = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(sessionId: string, options: ProgressTrackerOptions = {}) {
    const mode = options.mode ?? 'enhanced';
    if (!MODES.includes(mode)) {
      throw new TypeError(`batchtel: invalid ProgressTracker options: \`mode\`: expected one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    }
    this.mode = mode;
    this.config = parseOptions(configSchema, options.config ?? {}, 'ProgressTracker config');
    this.callbacks = options.callbacks ?? {};
    const eta = this.mode === 'minimal' ? 'none' : this.config.enableETAOptimization ? 'adaptive' : 'linear';
    const alertsOn = (this.mode === 'enhanced' || this.mode === 'comprehensive') && this.config.enablePerformanceAlerts;
    const t = this.config.alertThresholds;
    const alerts: AlertOptionsInput = {
      enabled: alertsOn,
      highErrorRate: { ratio: t.highErrorRate },
      etaDeviation: { percent: t.etaDeviationPercent },
      qualityDegradation: { threshold: t.qualityScoreThreshold },
      lowThroughput: t.lowThroughput === undefined ? {} : { itemsPerSecond: t.lowThroughput / 60 },
    };
    const telemetry: TelemetryOptionsInput = {
      ...options.telemetry,
      chunkEvents: this.mode !== 'minimal' && (options.telemetry?.chunkEvents ?? this.mode === 'comprehensive'),
      itemSpanRatio: this.mode === 'comprehensive' ? (options.telemetry?.itemSpanRatio ?? 1) : (options.telemetry?.itemSpanRatio ?? 0),
    };
    const input: RunOptionsInput = {
      name: options.name ?? sessionId,
      id: sessionId,
      total: options.total,
      operation: options.operation,
      category: options.category,
      service: options.service,
      metadata: options.metadata,
      clock: options.clock,
      registry: options.registry,
      display: options.display ?? 'none',
      eta,
      alerts,
      telemetry,
    };
    this.run = createRun(input, 'ProgressTracker options', { totalFromItems: true }).run;
    if (this.mode === 'minimal') this.run.stats.keepHistory = false;
    this.run.addListener({
      onAlert: (_run, alert) => {
        if (alert.state === 'firing') this.safely(() => this.callbacks.onPerformanceAlert?.(alert));
      },
    });
    this.run.start();
    this.lastSampleAt = this.run.startTimeMs;
    // Callbacks keep coming while a long file is in flight, not only when one changes.
    if (this.config.enableRealTimeUpdates && (this.callbacks.onProgressUpdate || this.callbacks.onETAUpdate)) {
      const period = this.callbacks.onETAUpdate ? Math.min(this.config.updateIntervalMs, this.config.etaUpdateIntervalMs) : this.config.updateIntervalMs;
      this.timer = setInterval(() => this.run.problems.guard('timer', () => this.maybeNotify(), undefined), Math.max(100, period));
      this.timer.unref();
    }
  }

  get sessionId(): string {
    return this.run.id;
  }

  /** Registers or updates a file: its status, progress, stage and stage progress; `completed`, `failed` and `skipped` count it as done. */
  updateFileProgress(fileId: string, update: { status?: ItemStatus; progress?: number; stage?: string; stageProgress?: number } = {}): void {
    this.run.problems.guard('updateFileProgress', () => this.updateFile(fileId, update), undefined);
  }

  private updateFile(fileId: string, update: { status?: ItemStatus; progress?: number; stage?: string; stageProgress?: number }): void {
    const run = this.run;
    const before = typeof fileId === 'string' ? run.activeItems.get(fileId) : undefined;
    const startedAt = before?.startTimeMs ?? run.clock.now();
    const completedBefore = run.completed;
    run.updateItem(fileId, update);
    // A file finished when the count moved: whatever shape `update` had, it was read once, by the run.
    if (run.completed > completedBefore) this.checkSlowFile(run.clock.now() - startedAt);
    this.maybeNotify();
  }

  /** Reports an HTTP 429, with the wait the server asked for. */
  reportRateLimit(retryAfterMs?: number): void {
    this.run.problems.guard('reportRateLimit', () => this.run.recordRateLimit(retryAfterMs), undefined);
  }

  /** Reports one API call and whether it succeeded. */
  reportApiCall(ok: boolean): void {
    this.run.problems.guard('reportApiCall', () => this.run.recordApiCall(Boolean(ok)), undefined);
  }

  /** Reports a retry, by error type. */
  reportRetry(errorType?: string): void {
    this.run.problems.guard('reportRetry', () => this.run.recordRetry(errorType), undefined);
  }

  /** Reports an error; its type, HTTP status and Retry-After are read from it. */
  reportError(error: unknown, options: { status?: number; type?: string } = {}): void {
    this.run.problems.guard('reportError', () => this.run.trackError(error, options), undefined);
  }

  /** Adds tokens used and cost (US dollars). */
  reportUsage(usage: { inputTokens?: number; outputTokens?: number; cost?: number }): void {
    this.run.problems.guard('reportUsage', () => this.run.recordUsage(usage), undefined);
  }

  /** Reports a quality score (0..1); ignored in `minimal` and `basic` modes. */
  reportQuality(score: number): void {
    if (this.mode === 'minimal' || this.mode === 'basic' || !this.config.enableQualityTracking) return;
    this.run.problems.guard('reportQuality', () => this.run.recordQuality(score), undefined);
  }

  /** The ETA now, on a fresh observation; undefined until there is a pace (or in minimal mode). */
  calculateETA(): ETACalculation | undefined {
    const eta = this.run.eta(this.run.clock.now(), true);
    if (!eta) return undefined;
    const f = eta.factors;
    return {
      estimatedTimeRemainingMs: eta.estimatedTimeRemainingMs,
      estimatedCompletionTime: new Date(eta.estimatedCompletionTime),
      confidence: eta.confidence,
      method: eta.method,
      interval: { ...eta.interval },
      factors: {
        currentThroughput: f.currentThroughput * 60,
        averageThroughput: f.averageThroughput * 60,
        rateLimitingImpact: f.rateLimitingImpact,
        complexityFactor: f.complexityFactor,
        historicalAccuracy: f.historicalAccuracy,
      },
    };
  }

  /** Files, progress, throughput (files per minute), quality, tokens and cost now. */
  getCurrentMetrics(): ProgressMetrics {
    const run = this.run;
    const now = run.clock.now();
    const s = run.stats;
    const total = run.total ?? 0;
    let processing = 0;
    for (const item of run.activeItems.values()) if (item.status === 'processing') processing++;
    const done = run.completed;
    const eta = this.calculateETA();
    const tokens = s.tokensInput + s.tokensOutput;
    const perMinute = (perSecond: number) => perSecond * 60;
    return {
      totalFiles: total,
      filesCompleted: run.succeeded,
      filesFailed: run.failed,
      filesPending: Math.max(0, total - done - processing),
      filesProcessing: processing,
      progressPercentage: total > 0 ? Math.min(100, (done / total) * 100) : 0,
      startTime: new Date(run.startTimeMs),
      currentTime: new Date(now),
      elapsedTimeMs: run.elapsedMs(now),
      ...(eta ? { estimatedTimeRemainingMs: eta.estimatedTimeRemainingMs, estimatedCompletionTime: eta.estimatedCompletionTime } : {}),
      averageProcessingTimeMs: s.hasItemDurations ? s.itemDurations.mean : done > 0 ? run.elapsedMs(now) / done : 0,
      currentThroughput: perMinute(s.latestThroughput() ?? run.itemsPerSecond(now)),
      peakThroughput: perMinute(s.peakThroughput),
      throughputHistory: s.throughputHistory().map((p) => ({ timestamp: new Date(p.timeMs), throughput: perMinute(p.itemsPerSecond) })),
      rateLimitHits: s.rateLimitHits,
      rateLimitDelayMs: s.rateLimitWaitMs,
      apiCallsTotal: s.apiCalls,
      apiCallsSuccessful: s.apiCalls - s.apiCallsFailed,
      apiCallsFailed: s.apiCallsFailed,
      apiSuccessRate: s.apiCalls > 0 ? (s.apiCalls - s.apiCallsFailed) / s.apiCalls : 1,
      totalTokensUsed: tokens,
      estimatedCost: s.cost,
      costPerFile: done > 0 ? s.cost / done : 0,
      tokensPerFile: done > 0 ? tokens / done : 0,
      // Files finished per API call made: 1 means no wasted calls.
      apiEfficiency: s.apiCalls > 0 ? Math.min(1, run.succeeded / s.apiCalls) : 1,
      retryCount: s.retries,
      errorRate: done > 0 ? run.failed / done : 0,
      qualityScore: s.qualityScore ?? 0,
    };
  }

  /** Ends tracking; open alerts resolve, the run span and summary go out. */
  stop(): BatchStats {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.run.isFinished) {
      // The slow-file episode ends with the run, like the evaluator's.
      if (this.slowFiles) this.checkSlowFile(0);
      this.run.finish();
      this.notifyProgress();
    }
    return buildStats(this.run);
  }

  /** The run's stats, as `createBatchProgress` reports them. */
  stats(): BatchStats {
    return buildStats(this.run);
  }

  private maybeNotify(): void {
    if (!this.config.enableRealTimeUpdates || !this.run.isActive) return;
    const now = this.run.clock.now();
    if (now - this.lastProgressCall >= this.config.updateIntervalMs) {
      this.lastProgressCall = now;
      this.sampleThroughput(now);
      this.notifyProgress();
    }
    if (this.mode !== 'minimal' && now - this.lastEtaCall >= this.config.etaUpdateIntervalMs) {
      const eta = this.calculateETA();
      if (eta) {
        this.lastEtaCall = now;
        this.safely(() => this.callbacks.onETAUpdate?.(eta));
      }
    }
  }

  private notifyProgress(): void {
    if (!this.callbacks.onProgressUpdate) return;
    const metrics = this.getCurrentMetrics();
    this.safely(() => this.callbacks.onProgressUpdate?.(metrics));
  }

  /** File-level loops have no chunks: sample throughput over the configured window instead. */
  private sampleThroughput(now: number): void {
    if (now - this.lastSampleAt < Math.min(this.config.throughputWindowMs, Math.max(1, this.config.updateIntervalMs))) return;
    const done = this.run.completed;
    const elapsed = now - this.lastSampleAt;
    if (elapsed > 0) this.run.stats.pushThroughput({ timeMs: now, itemsPerSecond: ((done - this.lastSampleCount) * 1000) / elapsed });
    this.lastSampleAt = now;
    this.lastSampleCount = done;
  }

  private checkSlowFile(durationMs: number): void {
    if (this.mode !== 'enhanced' && this.mode !== 'comprehensive') return;
    if (!this.config.enablePerformanceAlerts) return;
    const limit = this.config.alertThresholds.slowProcessingMs;
    const group = BATCH_ALERT_GROUP_VALUES.slowPerformance;
    const now = this.run.clock.now();
    if (durationMs > limit && !this.slowFiles && !this.run.activeAlerts.has(group)) {
      this.slowFiles = true;
      this.run.raiseAlert(
        firingAlert({
          id: `${this.run.id}:${group}:file:${now}`,
          group,
          severity: 'low',
          message: `a file took ${Math.round(durationMs)} ms (over ${limit} ms)`,
          value: durationMs,
          threshold: limit,
          raisedAtMs: now,
        }),
      );
    } else if (durationMs <= limit && this.slowFiles) {
      this.slowFiles = false;
      const open = this.run.activeAlerts.get(group);
      if (open) {
        open.state = 'resolved';
        open.resolvedAtMs = now;
        this.run.resolveAlert(open);
      }
    }
  }

  private safely(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.run.problems.report('callback_threw', `batchtel: a ProgressTracker callback threw: ${String(error)}`);
    }
  }
}
