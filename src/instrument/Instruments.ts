import type { Attributes, Counter, Histogram, Meter, ObservableResult, UpDownCounter } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import type { Run } from '../core/Run.js';
import {
  ATTR_BATCH_ETA_METHOD,
  ATTR_BATCH_ITEM_OUTCOME,
  ATTR_BATCH_OPERATION,
  BATCH_ITEM_OUTCOME_VALUES,
  ERROR_TYPE_VALUES,
  BATCH_METRICS,
} from '../semconv.js';
import { instrumentOptions } from './instrumentOptions.js';
import { perMeterProvider } from './perMeterProvider.js';
import { seriesKey } from './seriesKey.js';

/** One attribute set (operation, category, service) and the runs counting into it. */
interface Series {
  readonly success: Attributes;
  readonly failure: Attributes;
  readonly skipped: Attributes;
  /** Counts of runs that already finished, folded in so totals never go back. */
  doneSuccess: number;
  doneFailure: number;
  doneSkipped: number;
  readonly runs: Set<Run>;
}

interface LiveRun {
  readonly run: Run;
  readonly perRun: Attributes;
  etaAttrs: Attributes | undefined;
}

/**
 * Attribute sets (operation, category, service) whose item counts are kept
 * apart per provider; past it, new ones count into one series with
 * `batch.operation=_OTHER` (as the SDK's cardinality limit does), so memory
 * stays bounded whatever names the app makes up.
 */
export const MAX_OPERATIONS = 1000;

/**
 * The instruments of one MeterProvider, created once. Item counts are observed
 * at collection time from the runs' own counters, so the per-item path never
 * calls the SDK and no count is lost: finished runs are folded into their
 * series before they leave.
 */
export class Instruments {
  readonly chunkDuration: Histogram;
  readonly runDuration: Histogram;
  readonly runsActive: UpDownCounter;
  readonly errors: Counter;
  readonly retries: Counter;
  readonly rateLimitHits: Counter;
  readonly rateLimitRetryAfter: Histogram;
  readonly itemQuality: Histogram;
  readonly tokens: Counter;
  readonly cost: Counter;
  readonly alerts: Counter;

  private readonly series = new Map<string, Series>();
  private readonly live = new Map<Run, LiveRun>();
  /** The series each counted run adds to (the overflow series past MAX_OPERATIONS). */
  private readonly seriesOf = new Map<Run, Series>();
  private overflowReported = false;

  constructor(meter: Meter) {
    const m = BATCH_METRICS;
    this.chunkDuration = meter.createHistogram(m.chunkDuration.name, instrumentOptions(m.chunkDuration));
    this.runDuration = meter.createHistogram(m.runDuration.name, instrumentOptions(m.runDuration));
    this.runsActive = meter.createUpDownCounter(m.runsActive.name, instrumentOptions(m.runsActive));
    this.errors = meter.createCounter(m.errors.name, instrumentOptions(m.errors));
    this.retries = meter.createCounter(m.retries.name, instrumentOptions(m.retries));
    this.rateLimitHits = meter.createCounter(m.rateLimitHits.name, instrumentOptions(m.rateLimitHits));
    this.rateLimitRetryAfter = meter.createHistogram(m.rateLimitRetryAfter.name, instrumentOptions(m.rateLimitRetryAfter));
    this.itemQuality = meter.createHistogram(m.itemQuality.name, instrumentOptions(m.itemQuality));
    this.tokens = meter.createCounter(m.tokens.name, instrumentOptions(m.tokens));
    this.cost = meter.createCounter(m.cost.name, instrumentOptions(m.cost));
    this.alerts = meter.createCounter(m.alerts.name, instrumentOptions(m.alerts));

    meter.createObservableCounter(m.itemsProcessed.name, instrumentOptions(m.itemsProcessed)).addCallback((result) => this.observeItems(result));
    meter.createObservableGauge(m.runProgress.name, instrumentOptions(m.runProgress)).addCallback((result) => this.observeProgress(result));
    const eta = meter.createObservableGauge(m.runEta.name, instrumentOptions(m.runEta));
    const confidence = meter.createObservableGauge(m.runEtaConfidence.name, instrumentOptions(m.runEtaConfidence));
    meter.addBatchObservableCallback(
      (batch) => {
        for (const live of this.live.values()) {
          const estimate = live.run.eta();
          if (!estimate) continue;
          live.etaAttrs ??= { ...live.perRun, [ATTR_BATCH_ETA_METHOD]: estimate.method };
          batch.observe(eta, estimate.estimatedTimeRemainingMs / 1000, live.etaAttrs);
          batch.observe(confidence, estimate.confidence, live.etaAttrs);
        }
      },
      [eta, confidence],
    );
    meter.createObservableGauge(m.runIdleTime.name, instrumentOptions(m.runIdleTime)).addCallback((result) => {
      for (const live of this.live.values()) result.observe(live.run.idleTimeMs() / 1000, live.perRun);
    });
  }

  /** Starts counting a run's items into its series and reporting its gauges. */
  track(run: Run, base: Attributes, perRun: Attributes, parts: { items?: boolean; gauges?: boolean } = {}): void {
    if (parts.gauges !== false) this.live.set(run, { run, perRun, etaAttrs: undefined });
    if (parts.items === false) return;
    let key = seriesKey(base);
    let series = this.series.get(key);
    if (!series && this.series.size >= MAX_OPERATIONS) {
      if (!this.overflowReported) {
        this.overflowReported = true;
        diag.warn(
          `batchtel: more than ${MAX_OPERATIONS} distinct operation/category/service sets; items of new ones are counted under ${ATTR_BATCH_OPERATION}=${ERROR_TYPE_VALUES.other}`,
        );
      }
      base = { [ATTR_BATCH_OPERATION]: ERROR_TYPE_VALUES.other };
      key = seriesKey(base);
      series = this.series.get(key);
    }
    if (!series) {
      series = {
        success: { ...base, [ATTR_BATCH_ITEM_OUTCOME]: BATCH_ITEM_OUTCOME_VALUES.success },
        failure: { ...base, [ATTR_BATCH_ITEM_OUTCOME]: BATCH_ITEM_OUTCOME_VALUES.failure },
        skipped: { ...base, [ATTR_BATCH_ITEM_OUTCOME]: BATCH_ITEM_OUTCOME_VALUES.skipped },
        doneSuccess: 0,
        doneFailure: 0,
        doneSkipped: 0,
        runs: new Set(),
      };
      this.series.set(key, series);
    }
    series.runs.add(run);
    this.seriesOf.set(run, series);
  }

  /** Folds a finished run's counts into its series and stops its gauges. */
  untrack(run: Run): void {
    const series = this.seriesOf.get(run);
    this.seriesOf.delete(run);
    if (series?.runs.delete(run)) {
      series.doneSuccess += run.succeeded;
      series.doneFailure += run.failed;
      series.doneSkipped += run.skipped;
    }
    this.live.delete(run);
  }

  private observeItems(result: ObservableResult): void {
    for (const series of this.series.values()) {
      let success = series.doneSuccess;
      let failure = series.doneFailure;
      let skipped = series.doneSkipped;
      for (const run of series.runs) {
        success += run.succeeded;
        failure += run.failed;
        skipped += run.skipped;
      }
      result.observe(success, series.success);
      if (failure > 0) result.observe(failure, series.failure);
      if (skipped > 0) result.observe(skipped, series.skipped);
    }
  }

  private observeProgress(result: ObservableResult): void {
    for (const live of this.live.values()) {
      const progress = live.run.progress();
      if (progress !== undefined) result.observe(progress, live.perRun);
    }
  }
}

/** Instruments for a provider, created on first use. */
export const instrumentsFor = perMeterProvider((meter) => new Instruments(meter));
