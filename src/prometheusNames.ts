/**
 * The Prometheus names our metrics and attributes become through the
 * collector's translator, for the dashboards, alert rules, the README table and
 * tests. Build-time only: no package entry exports this module.
 */
import {
  ATTR_BATCHTEL_WRITE_TRIGGER,
  ATTR_BATCH_ALERT_GROUP,
  ATTR_BATCH_ALERT_SEVERITY,
  ATTR_BATCH_CATEGORY,
  ATTR_BATCH_ETA_METHOD,
  ATTR_BATCH_EVENT_MEASURE,
  ATTR_BATCH_EVENT_NAME,
  ATTR_BATCH_EVENT_PRIORITY,
  ATTR_BATCH_ITEM_OUTCOME,
  ATTR_BATCH_NAME,
  ATTR_BATCH_OPERATION,
  ATTR_BATCH_RUN_ID,
  ATTR_BATCH_RUN_RESULT,
  ATTR_BATCH_SERVICE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_OTEL_COMPONENT_TYPE,
  BATCH_METRICS,
  DELIVERY_METRICS,
  type MetricDefinition,
} from './semconv.js';

/** UCUM units the collector's Prometheus translator spells out as a suffix. */
const PROMETHEUS_UNIT_SUFFIX: Readonly<Record<string, string>> = {
  s: 'seconds',
  ms: 'milliseconds',
  By: 'bytes',
  '1': 'ratio',
};

/**
 * The base Prometheus name a metric gets from the collector's translator
 * (prometheusremotewrite / prometheus exporters, default suffix strategy):
 * dots become underscores, the unit is appended (annotations like `{item}` are
 * dropped; `1` becomes `_ratio` on gauges only), monotonic sums end in `_total`.
 * Histograms add `_bucket`, `_sum`, `_count` to this base.
 */
export function prometheusName(metric: MetricDefinition): string {
  const base = metric.name.replace(/[^a-zA-Z0-9_]/g, '_');
  const isGauge =
    metric.instrument === 'gauge' ||
    metric.instrument === 'observable_gauge' ||
    metric.instrument === 'updowncounter' ||
    metric.instrument === 'observable_updowncounter';
  const unitSuffix = metric.unit === '1' && !isGauge ? undefined : PROMETHEUS_UNIT_SUFFIX[metric.unit];
  const withUnit = unitSuffix && !base.endsWith(`_${unitSuffix}`) ? `${base}_${unitSuffix}` : base;
  const monotonic = metric.instrument === 'counter' || metric.instrument === 'observable_counter';
  return monotonic ? `${withUnit}_total` : withUnit;
}

/** Every series name a metric produces in Prometheus (histograms: bucket/sum/count). */
export function prometheusSeriesNames(metric: MetricDefinition): string[] {
  const base = prometheusName(metric);
  return metric.instrument === 'histogram' ? [`${base}_bucket`, `${base}_sum`, `${base}_count`] : [base];
}

/** Prometheus label a data-point attribute becomes. */
export function prometheusLabel(attribute: string): string {
  return attribute.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Typed Prometheus names, for dashboards and alert rules. */
export const PROM = Object.fromEntries(Object.entries({ ...BATCH_METRICS, ...DELIVERY_METRICS }).map(([key, def]) => [key, prometheusName(def)])) as {
  readonly [K in keyof typeof BATCH_METRICS | keyof typeof DELIVERY_METRICS]: string;
};

/** Prometheus labels of our attributes, for dashboards and alert rules. */
export const PROM_LABEL = {
  operation: prometheusLabel(ATTR_BATCH_OPERATION),
  category: prometheusLabel(ATTR_BATCH_CATEGORY),
  service: prometheusLabel(ATTR_BATCH_SERVICE),
  runId: prometheusLabel(ATTR_BATCH_RUN_ID),
  name: prometheusLabel(ATTR_BATCH_NAME),
  result: prometheusLabel(ATTR_BATCH_RUN_RESULT),
  outcome: prometheusLabel(ATTR_BATCH_ITEM_OUTCOME),
  errorType: prometheusLabel(ATTR_ERROR_TYPE),
  alertGroup: prometheusLabel(ATTR_BATCH_ALERT_GROUP),
  alertSeverity: prometheusLabel(ATTR_BATCH_ALERT_SEVERITY),
  tokenType: prometheusLabel(ATTR_GEN_AI_TOKEN_TYPE),
  etaMethod: prometheusLabel(ATTR_BATCH_ETA_METHOD),
  componentType: prometheusLabel(ATTR_OTEL_COMPONENT_TYPE),
  writeTrigger: prometheusLabel(ATTR_BATCHTEL_WRITE_TRIGGER),
  eventName: prometheusLabel(ATTR_BATCH_EVENT_NAME),
  eventPriority: prometheusLabel(ATTR_BATCH_EVENT_PRIORITY),
  eventMeasure: prometheusLabel(ATTR_BATCH_EVENT_MEASURE),
} as const;
