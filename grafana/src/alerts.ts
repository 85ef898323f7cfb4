/**
 * Every alert rule, defined once. generate.ts emits them as Prometheus rule
 * groups (prometheus/rules/, for Prometheus, Mimir or Thanos) and as
 * Grafana-managed alert provisioning, plus promtool unit tests from the
 * scenarios written beside each rule. Names come from src/semconv.ts.
 */
import { PROM, PROM_LABEL } from '../../src/prometheusNames.js';
import { BATCH_ALERT_GROUP_VALUES as G, BATCH_ITEM_OUTCOME_VALUES } from '../../src/semconv.js';
import { COLLECTOR } from './collectorMetrics.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** A series for promtool: `name{labels}` and its values, e.g. `0+10x30` (start + step × count). */
export interface Series {
  readonly series: string;
  readonly values: string;
}

export interface Scenario {
  readonly name: string;
  readonly series: readonly Series[];
  /** When to look, e.g. `30m`. */
  readonly at: string;
  /** Expected firing alerts' labels at that time; empty = silent. */
  readonly firing: ReadonlyArray<Record<string, string>>;
  /**
   * Check the expression itself, before `for:` holds it back: the condition
   * must be false at that time (`firing` stays empty). For states a `for:`
   * would hide but a shorter pending period, or a first evaluation, would not.
   */
  readonly conditionOnly?: true;
}

export interface AlertRule {
  readonly alert: string;
  /** The in-process alert group (BATCH_ALERT_GROUP_VALUES) it mirrors, if any. */
  readonly group?: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
  readonly scenarios: readonly Scenario[];
}

const op = PROM_LABEL.operation;
const items = PROM.itemsProcessed;
const rate = (metric: string, window: string, filter = '') => `sum by (${op}) (rate(${metric}${filter}[${window}]))`;
const throughput = rate(items, '5m');
const hourlyAverage = `avg_over_time(${throughput}[1h:1m])`;
/**
 * The hourly average is a baseline only once the operation has half an hour of
 * throughput in the hour: a new or rare operation's first minutes (a short job,
 * a ramp) are neither a spike nor a drop.
 */
const hasHistory = `count_over_time(${throughput}[1h:1m]) >= 30`;
/**
 * A 30-minute rate divides by the whole 30 minutes: for an operation younger
 * than that it reads as a fraction of its real pace. It counts only once the
 * operation has had throughput for the whole window.
 */
const fillsHalfHour = `count_over_time(${throughput}[30m:1m]) >= 30`;
/** Runs active per operation: pattern alerts only speak while work is going on. */
const active = `sum by (${op}) (${PROM.runsActive}) > 0`;

const s = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
const ok = { [op]: 'sync', [PROM_LABEL.outcome]: BATCH_ITEM_OUTCOME_VALUES.success, job: 'app' };
const failed = { ...ok, [PROM_LABEL.outcome]: BATCH_ITEM_OUTCOME_VALUES.failure };
const runsActive = (values: string): Series => ({ series: s(PROM.runsActive, { [op]: 'sync', job: 'app' }), values });

export const ALERT_RULES: readonly AlertRule[] = [
  {
    alert: 'BatchRateLimited',
    group: G.rateLimit,
    expr: `sum by (${op}) (increase(${PROM.rateLimitHits}[15m])) > 5`,
    for: '1m',
    severity: 'medium',
    summary: 'Batch {{ $labels.batch_operation }} is being rate-limited',
    description: '{{ $value | humanize }} rate-limit responses (HTTP 429) in the last 15 minutes (more than 5).',
    scenarios: [
      {
        name: 'fires on a 429 storm',
        series: [{ series: s(PROM.rateLimitHits, { [op]: 'sync', job: 'app' }), values: '0+1x30' }],
        at: '20m',
        firing: [{ [op]: 'sync' }],
      },
      { name: 'silent on a few 429s', series: [{ series: s(PROM.rateLimitHits, { [op]: 'sync', job: 'app' }), values: '0+0.1x30' }], at: '20m', firing: [] },
      { name: 'silent when idle', series: [{ series: s(PROM.rateLimitHits, { [op]: 'sync', job: 'app' }), values: '7x30' }], at: '20m', firing: [] },
    ],
  },
  {
    alert: 'BatchHighErrorRate',
    group: G.highErrorRate,
    expr: `(${rate(items, '10m', `{${PROM_LABEL.outcome}="${BATCH_ITEM_OUTCOME_VALUES.failure}"}`)} / ${rate(items, '10m')}) > 0.1 and ${`sum by (${op}) (increase(${items}[10m]))`} >= 20`,
    for: '5m',
    severity: 'high',
    summary: 'Batch {{ $labels.batch_operation }} fails more than 10% of its items',
    description: '{{ $value | humanizePercentage }} of items failed over the last 10 minutes.',
    scenarios: [
      {
        name: 'fires when a fifth of items fail',
        series: [
          { series: s(items, ok), values: '0+80x30' },
          { series: s(items, failed), values: '0+20x30' },
        ],
        at: '20m',
        firing: [{ [op]: 'sync' }],
      },
      {
        name: 'silent at 2% failures',
        series: [
          { series: s(items, ok), values: '0+98x30' },
          { series: s(items, failed), values: '0+2x30' },
        ],
        at: '20m',
        firing: [],
      },
      {
        name: 'silent when idle (no division by zero)',
        series: [
          { series: s(items, ok), values: '500x30' },
          { series: s(items, failed), values: '100x30' },
        ],
        at: '20m',
        firing: [],
      },
    ],
  },
  {
    alert: 'BatchPerformanceDegraded',
    group: G.slowPerformance,
    expr: `(${rate(`${PROM.chunkDuration}_sum`, '15m')} / ${rate(`${PROM.chunkDuration}_count`, '15m')}) / (${rate(`${PROM.chunkDuration}_sum`, '2h', '')} / ${rate(`${PROM.chunkDuration}_count`, '2h')}) > 2`,
    for: '10m',
    severity: 'low',
    summary: 'Batch {{ $labels.batch_operation }} chunks are over twice as slow as usual',
    description: 'Chunk latency of the last 15 minutes is {{ $value | humanize }}x its 2-hour average (slowdown factor > 2).',
    scenarios: [
      {
        name: 'fires when chunks get 5x slower',
        series: [
          { series: s(`${PROM.chunkDuration}_count`, { [op]: 'sync', job: 'app' }), values: '0+10x180' },
          { series: s(`${PROM.chunkDuration}_sum`, { [op]: 'sync', job: 'app' }), values: '0+10x150 1500+50x30' },
        ],
        at: '175m',
        firing: [{ [op]: 'sync' }],
      },
      {
        name: 'silent at a steady pace',
        series: [
          { series: s(`${PROM.chunkDuration}_count`, { [op]: 'sync', job: 'app' }), values: '0+10x180' },
          { series: s(`${PROM.chunkDuration}_sum`, { [op]: 'sync', job: 'app' }), values: '0+10x180' },
        ],
        at: '175m',
        firing: [],
      },
    ],
  },
  {
    alert: 'BatchRunStalled',
    group: G.stalled,
    expr: `max by (${op}) (${PROM.runIdleTime}) > 600`,
    for: '1m',
    severity: 'high',
    summary: 'A {{ $labels.batch_operation }} run has made no progress for 10 minutes',
    description: 'The longest-idle active run has not advanced for {{ $value | humanizeDuration }}.',
    scenarios: [
      {
        name: 'fires on a stuck run',
        series: [{ series: s(PROM.runIdleTime, { [op]: 'sync', [PROM_LABEL.runId]: 'r1', job: 'app' }), values: '0+60x20' }],
        at: '15m',
        firing: [{ [op]: 'sync' }],
      },
      {
        name: 'silent while progressing',
        series: [{ series: s(PROM.runIdleTime, { [op]: 'sync', [PROM_LABEL.runId]: 'r1', job: 'app' }), values: '0 1 0 2 0 1 0 3 0 1 0 2 0 1 0 2' }],
        at: '15m',
        firing: [],
      },
    ],
  },
  {
    alert: 'BatchLowThroughput',
    group: G.lowThroughput,
    // The baseline is the median 5-minute pace over the day, counting only the times it was working:
    // idle nights must not drag it down.
    expr: `(${rate(items, '30m')} < 0.25 * quantile_over_time(0.5, (${throughput} > 0)[1d:5m])) and on (${op}) (${fillsHalfHour}) and on (${op}) (${active})`,
    for: '30m',
    severity: 'medium',
    summary: 'Batch {{ $labels.batch_operation }} runs at under a quarter of its usual throughput',
    description: 'Items per second over 30 minutes are {{ $value | humanize }}, below 25% of its median working pace of the last day, while runs are active.',
    scenarios: [
      {
        name: 'fires when throughput collapses during a run',
        series: [{ series: s(items, ok), values: '0+600x180 108000+30x120' }, runsActive('1x300')],
        at: '290m',
        firing: [{ [op]: 'sync' }],
      },
      {
        name: 'silent when no run is active',
        series: [{ series: s(items, ok), values: '0+600x180 108000x120' }, runsActive('1x180 0x120')],
        at: '290m',
        firing: [],
      },
      {
        name: "a new operation's first minutes are not a collapse",
        series: [{ series: s(items, ok), values: '0+600x10' }, runsActive('1x10')],
        at: '5m',
        firing: [],
        conditionOnly: true,
      },
    ],
  },
  {
    alert: 'BatchEtaSlipping',
    group: G.etaDeviation,
    expr: `max by (${op}) (deriv(${PROM.runEta}[15m])) > 0`,
    for: '15m',
    severity: 'low',
    summary: 'Batch {{ $labels.batch_operation }} keeps moving its completion time out',
    description: 'The ETA of an active run has grown for 15 minutes instead of counting down.',
    scenarios: [
      {
        name: 'fires when the ETA grows',
        series: [{ series: s(PROM.runEta, { [op]: 'sync', [PROM_LABEL.runId]: 'r1', job: 'app' }), values: '600+30x60' }],
        at: '50m',
        firing: [{ [op]: 'sync' }],
      },
      {
        name: 'silent when the ETA counts down',
        series: [{ series: s(PROM.runEta, { [op]: 'sync', [PROM_LABEL.runId]: 'r1', job: 'app' }), values: '3600-60x60' }],
        at: '50m',
        firing: [],
      },
    ],
  },
  {
    alert: 'BatchQualityDegraded',
    group: G.qualityDegradation,
    expr: `(${rate(`${PROM.itemQuality}_sum`, '30m')} / ${rate(`${PROM.itemQuality}_count`, '30m')}) < 0.7 and sum by (${op}) (increase(${PROM.itemQuality}_count[30m])) >= 10`,
    for: '10m',
    severity: 'medium',
    summary: 'Batch {{ $labels.batch_operation }} output quality dropped below 0.7',
    description: 'Average quality score over 30 minutes is {{ $value | humanize }}.',
    scenarios: [
      {
        name: 'fires on poor quality',
        series: [
          { series: s(`${PROM.itemQuality}_sum`, { [op]: 'sync', job: 'app' }), values: '0+5x60' },
          { series: s(`${PROM.itemQuality}_count`, { [op]: 'sync', job: 'app' }), values: '0+10x60' },
        ],
        at: '50m',
        firing: [{ [op]: 'sync' }],
      },
      {
        name: 'silent on good quality',
        series: [
          { series: s(`${PROM.itemQuality}_sum`, { [op]: 'sync', job: 'app' }), values: '0+9x60' },
          { series: s(`${PROM.itemQuality}_count`, { [op]: 'sync', job: 'app' }), values: '0+10x60' },
        ],
        at: '50m',
        firing: [],
      },
    ],
  },
  // Pattern detection (spike, drop, anomaly, trend), in PromQL over the item throughput.
  {
    alert: 'BatchThroughputSpike',
    expr: `(${throughput} > 2 * ${hourlyAverage}) and ${throughput} > 0.1 and ${hasHistory}`,
    for: '5m',
    severity: 'low',
    summary: 'Batch {{ $labels.batch_operation }} throughput spiked to over twice its hourly average',
    description: 'Items per second: {{ $value | humanize }}.',
    scenarios: [
      { name: 'fires on a burst', series: [{ series: s(items, ok), values: '0+60x90 5400+600x30' }], at: '110m', firing: [{ [op]: 'sync' }] },
      { name: 'silent at a steady rate', series: [{ series: s(items, ok), values: '0+60x120' }], at: '110m', firing: [] },
      {
        name: "silent in a new operation's first minutes, though it speeds up",
        series: [{ series: s(items, ok), values: '_x100 0+60x10 3600+3000x8' }],
        at: '118m',
        firing: [],
      },
    ],
  },
  {
    alert: 'BatchThroughputDrop',
    expr: `(${throughput} < 0.5 * ${hourlyAverage}) and ${hasHistory} and on (${op}) (${active})`,
    for: '10m',
    severity: 'medium',
    summary: 'Batch {{ $labels.batch_operation }} throughput fell below half its hourly average',
    description: 'Items per second: {{ $value | humanize }}, while runs are active.',
    scenarios: [
      {
        name: 'fires when throughput halves mid-run',
        series: [{ series: s(items, ok), values: '0+600x90 54000+60x30' }, runsActive('1x120')],
        at: '115m',
        firing: [{ [op]: 'sync' }],
      },
      {
        name: 'silent when the batch simply finished',
        series: [{ series: s(items, ok), values: '0+600x90 54000x30' }, runsActive('1x90 0x30')],
        at: '115m',
        firing: [],
      },
    ],
  },
  {
    alert: 'BatchThroughputAnomaly',
    expr: `abs(${throughput} - avg_over_time(${throughput}[1h:1m])) > 3 * stddev_over_time(${throughput}[1h:1m]) and stddev_over_time(${throughput}[1h:1m]) > 0`,
    for: '2m',
    severity: 'low',
    summary: 'Batch {{ $labels.batch_operation }} throughput is over 3 standard deviations from its hourly mean',
    description: 'Items per second deviate by {{ $value | humanize }} from the mean.',
    scenarios: [
      {
        name: 'fires on an outlier',
        series: [{ series: s(items, ok), values: '0+60x30 1800+66x30 3780+60x30 5580+2000x10' }],
        at: '100m',
        firing: [{ [op]: 'sync' }],
      },
      { name: 'silent on ordinary noise', series: [{ series: s(items, ok), values: '0+60x30 1800+66x30 3780+60x30 5580+63x10' }], at: '100m', firing: [] },
    ],
  },
  {
    alert: 'BatchThroughputTrendDown',
    expr: `(deriv(${throughput}[1h:1m]) * 3600 < -0.5 * avg_over_time(${throughput}[1h:1m])) and on (${op}) (${active})`,
    for: '30m',
    severity: 'low',
    summary: 'Batch {{ $labels.batch_operation }} throughput has been falling steadily',
    description: 'Throughput falls by more than half its average per hour, sustained for 30 minutes.',
    scenarios: [
      {
        name: 'fires on a sustained decline',
        series: [{ series: s(items, ok), values: makeDecline() }, runsActive('1x150')],
        at: '140m',
        firing: [{ [op]: 'sync' }],
      },
      { name: 'silent at a steady rate', series: [{ series: s(items, ok), values: '0+600x150' }, runsActive('1x150')], at: '140m', firing: [] },
    ],
  },
  // The pipeline itself.
  {
    alert: 'CollectorExportFailing',
    expr: `sum by (exporter) (rate(${COLLECTOR.exporterSendFailedSpans}[5m]) or rate(${COLLECTOR.exporterSendFailedLogs}[5m]) or rate(${COLLECTOR.exporterSendFailedMetricPoints}[5m])) > 0`,
    for: '5m',
    severity: 'high',
    summary: 'Collector exporter {{ $labels.exporter }} fails to send telemetry',
    description: 'Sends are failing; data waits in the persistent queue until it fills.',
    scenarios: [
      {
        name: 'fires on failures',
        series: [{ series: `${COLLECTOR.exporterSendFailedSpans}{exporter="otlp_http/tempo"}`, values: '0+10x20' }],
        at: '15m',
        firing: [{ exporter: 'otlp_http/tempo' }],
      },
      {
        name: 'silent when healthy',
        series: [{ series: `${COLLECTOR.exporterSendFailedSpans}{exporter="otlp_http/tempo"}`, values: '0x20' }],
        at: '15m',
        firing: [],
      },
    ],
  },
  {
    alert: 'CollectorRefusingData',
    expr: `sum by (receiver) (rate(${COLLECTOR.receiverRefusedSpans}[5m]) or rate(${COLLECTOR.receiverRefusedLogs}[5m]) or rate(${COLLECTOR.receiverRefusedMetricPoints}[5m])) > 0`,
    for: '5m',
    severity: 'high',
    summary: 'Collector receiver {{ $labels.receiver }} refuses data (memory limiter or errors)',
    description: 'Apps have to retry or spool; check the collector memory and the backends.',
    scenarios: [
      {
        name: 'fires when refusing',
        series: [{ series: `${COLLECTOR.receiverRefusedSpans}{receiver="otlp"}`, values: '0+5x20' }],
        at: '15m',
        firing: [{ receiver: 'otlp' }],
      },
      { name: 'silent when accepting', series: [{ series: `${COLLECTOR.receiverRefusedSpans}{receiver="otlp"}`, values: '0x20' }], at: '15m', firing: [] },
    ],
  },
  {
    alert: 'CollectorQueueNearCapacity',
    expr: `max by (exporter) (${COLLECTOR.exporterQueueSize} / ${COLLECTOR.exporterQueueCapacity}) > 0.8`,
    for: '5m',
    severity: 'medium',
    summary: 'Collector exporter {{ $labels.exporter }} queue is over 80% full',
    description: 'The queue is {{ $value | humanizePercentage }} full; when it is full, new data is refused.',
    scenarios: [
      {
        name: 'fires when nearly full',
        series: [
          { series: `${COLLECTOR.exporterQueueSize}{exporter="otlp_http/tempo"}`, values: '9000x20' },
          { series: `${COLLECTOR.exporterQueueCapacity}{exporter="otlp_http/tempo"}`, values: '10000x20' },
        ],
        at: '15m',
        firing: [{ exporter: 'otlp_http/tempo' }],
      },
      {
        name: 'silent when mostly empty',
        series: [
          { series: `${COLLECTOR.exporterQueueSize}{exporter="otlp_http/tempo"}`, values: '10x20' },
          { series: `${COLLECTOR.exporterQueueCapacity}{exporter="otlp_http/tempo"}`, values: '10000x20' },
        ],
        at: '15m',
        firing: [],
      },
    ],
  },
  {
    alert: 'BatchtelTelemetryLost',
    expr: `sum by (job, ${PROM_LABEL.errorType}) (increase(${PROM.spanExported}{${PROM_LABEL.errorType}!=""}[10m]) or increase(${PROM.logExported}{${PROM_LABEL.errorType}!=""}[10m])) > 0`,
    for: '0m',
    severity: 'high',
    summary: 'Service {{ $labels.job }} lost spans or log records ({{ $labels.error_type }})',
    description:
      'batchtel/sdk dropped telemetry for good: the endpoint refused it (a status that is never retried, e.g. 400 or 401), rejected part of it, or the spool evicted it at its size limit.',
    scenarios: [
      {
        name: 'fires on evictions',
        series: [{ series: s(PROM.spanExported, { job: 'app', [PROM_LABEL.errorType]: 'evicted' }), values: '0 0 0 2048 4096 4096 4096 4096 4096 4096 4096' }],
        at: '5m',
        firing: [{ job: 'app', [PROM_LABEL.errorType]: 'evicted' }],
      },
      { name: 'silent while everything is delivered', series: [{ series: s(PROM.spanExported, { job: 'app' }), values: '0+2048x10' }], at: '5m', firing: [] },
    ],
  },
  {
    alert: 'BatchtelSpoolBacklog',
    expr: `max by (job) (${PROM.spoolRecords}) > 0 and max by (job) (rate(${PROM.spoolReplayed}[5m])) == 0 and max by (job) (rate(${PROM.spoolSpooled}[5m])) > 0`,
    for: '10m',
    severity: 'medium',
    summary: 'Service {{ $labels.job }} cannot deliver telemetry: {{ $value }} records wait in its spool',
    description: 'Exports keep failing and the on-disk spool grows; nothing is lost until it reaches maxSpoolBytes, then the oldest records are evicted.',
    scenarios: [
      {
        name: 'fires when the spool only grows',
        series: [
          { series: s(PROM.spoolRecords, { job: 'app' }), values: '0+2048x30' },
          { series: s(PROM.spoolSpooled, { job: 'app' }), values: '0+2048x30' },
          { series: s(PROM.spoolReplayed, { job: 'app' }), values: '0x30' },
        ],
        at: '25m',
        firing: [{ job: 'app' }],
      },
      {
        name: 'silent while the spool drains',
        series: [
          { series: s(PROM.spoolRecords, { job: 'app' }), values: '0+2048x10 20480-2048x10 0x10' },
          { series: s(PROM.spoolSpooled, { job: 'app' }), values: '0+2048x10 20480x20' },
          { series: s(PROM.spoolReplayed, { job: 'app' }), values: '0x10 0+2048x10 20480x10' },
        ],
        at: '25m',
        firing: [],
      },
    ],
  },
];

/** A counter falling from 600/min to ~0 over two hours: a steady decline. */
function makeDecline(): string {
  const values: number[] = [];
  let total = 0;
  for (let i = 0; i <= 150; i++) {
    total += Math.max(0, 600 - i * 4);
    values.push(total);
  }
  return values.join(' ');
}
