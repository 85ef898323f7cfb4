/**
 * The three batchtel dashboards, built from the telemetry contract: every
 * metric and label comes from src/semconv.ts (or, for the collector's own
 * metrics, collectorMetrics.ts).
 */
import { PROM, PROM_LABEL as L } from '../../src/prometheusNames.js';
import { BATCH_ITEM_OUTCOME_VALUES, COMPONENT_TYPE_DURABLE_PROCESSOR } from '../../src/semconv.js';
import { dashboard, LOKI, type PanelSpec } from './builder.js';
import { COLLECTOR } from './collectorMetrics.js';
import { workerPanels } from './panels/workers.js';

const sel = `job=~"$service", ${L.operation}=~"$operation", ${L.category}=~"$category"`;
const rate = (metric: string, extra = '') => `rate(${metric}{${sel}${extra}}[$__rate_interval])`;
const variables = [
  { name: 'service', label: 'Service', query: `label_values(${PROM.runsActive}, job)` },
  { name: 'operation', label: 'Operation', query: `label_values(${PROM.runsActive}{job=~"$service"}, ${L.operation})` },
  { name: 'category', label: 'Category', query: `label_values(${PROM.runsActive}{job=~"$service"}, ${L.category})` },
];
const quantile = (q: number, metric: string, by = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket{${sel}}[$__rate_interval])))`;

const overviewPanels: PanelSpec[] = [
  { title: 'Active runs', type: 'stat', width: 6, height: 5, queries: [{ expr: `sum(${PROM.runsActive}{${sel}})` }], unit: 'none' },
  {
    title: 'Runs finished by result',
    description: 'Completed (success), failed (failure, error, timeout) and cancelled (cancellation) runs in the time range.',
    type: 'bargauge',
    width: 10,
    height: 5,
    queries: [{ expr: `sum by (${L.result}) (increase(${PROM.runDuration}_count{${sel}}[$__range]))`, legend: `{{${L.result}}}`, instant: true }],
  },
  {
    title: 'Items processed',
    type: 'stat',
    width: 8,
    height: 5,
    queries: [{ expr: `sum(increase(${PROM.itemsProcessed}{${sel}}[$__range]))` }],
    unit: 'short',
  },
  {
    title: 'Items/s by operation',
    type: 'timeseries',
    queries: [{ expr: `sum by (${L.operation}) (${rate(PROM.itemsProcessed)})`, legend: `{{${L.operation}}}` }],
    unit: 'ops',
  },
  {
    title: 'Error ratio by operation',
    description: 'Failed items over all items; the high error rate alert fires above 10%.',
    type: 'timeseries',
    queries: [
      {
        expr: `sum by (${L.operation}) (${rate(PROM.itemsProcessed, `, ${L.outcome}="${BATCH_ITEM_OUTCOME_VALUES.failure}"`)}) / sum by (${L.operation}) (${rate(PROM.itemsProcessed)})`,
        legend: `{{${L.operation}}}`,
      },
    ],
    unit: 'percentunit',
  },
  {
    title: 'Errors by error.type',
    type: 'timeseries',
    queries: [{ expr: `sum by (${L.errorType}) (${rate(PROM.errors)})`, legend: `{{${L.errorType}}}` }],
    unit: 'short',
  },
  {
    title: 'Rate limiting: hits and Retry-After waits',
    type: 'timeseries',
    queries: [
      { expr: `sum by (${L.operation}) (increase(${PROM.rateLimitHits}{${sel}}[$__rate_interval]))`, legend: '429s {{batch_operation}}' },
      {
        expr: `sum by (${L.operation}) (${rate(`${PROM.rateLimitRetryAfter}_sum`)}) / sum by (${L.operation}) (${rate(`${PROM.rateLimitRetryAfter}_count`)})`,
        legend: 'avg Retry-After {{batch_operation}} (s)',
      },
    ],
  },
  {
    title: 'Chunk latency p50 / p95 / p99',
    description: 'Exemplars link a point to the trace of that chunk in Tempo.',
    type: 'timeseries',
    queries: [
      { expr: quantile(0.5, PROM.chunkDuration), legend: 'p50', exemplar: true },
      { expr: quantile(0.95, PROM.chunkDuration), legend: 'p95', exemplar: true },
      { expr: quantile(0.99, PROM.chunkDuration), legend: 'p99', exemplar: true },
    ],
    unit: 's',
  },
  {
    title: 'Chunk latency heatmap',
    type: 'heatmap',
    queries: [{ expr: `sum by (le) (increase(${PROM.chunkDuration}_bucket{${sel}}[$__rate_interval]))`, legend: '{{le}}', format: 'heatmap' }],
    options: { calculate: false, yAxis: { unit: 's' } },
  },
  {
    title: 'Run duration p95 by result',
    type: 'timeseries',
    queries: [{ expr: quantile(0.95, PROM.runDuration, L.result), legend: `{{${L.result}}}` }],
    unit: 's',
  },
  {
    title: 'Quality score distribution',
    type: 'bargauge',
    queries: [{ expr: `sum by (le) (increase(${PROM.itemQuality}_bucket{${sel}}[$__range]))`, legend: '≤ {{le}}', instant: true, format: 'heatmap' }],
  },
  {
    title: 'Tokens by type',
    type: 'timeseries',
    width: 8,
    queries: [{ expr: `sum by (${L.tokenType}) (${rate(PROM.tokens)})`, legend: `{{${L.tokenType}}}` }],
    unit: 'short',
  },
  { title: 'Cost in range', type: 'stat', width: 4, queries: [{ expr: `sum(increase(${PROM.cost}{${sel}}[$__range]))` }], unit: 'currencyUSD' },
  {
    title: 'In-process alerts by group',
    type: 'bargauge',
    queries: [{ expr: `sum by (${L.alertGroup}) (increase(${PROM.alerts}{${sel}}[$__range]))`, legend: `{{${L.alertGroup}}}`, instant: true }],
  },
];

const perRun = `job=~"$service", ${L.operation}=~"$operation"`;
const runDetailPanels: PanelSpec[] = [
  {
    title: 'Active runs',
    description: 'One row per running batch: progress, ETA and its confidence, time since the last progress.',
    type: 'table',
    width: 24,
    height: 9,
    queries: [
      { expr: `max by (${L.runId}, ${L.name}, ${L.operation}) (${PROM.runProgress}{${perRun}})`, instant: true, format: 'table' },
      { expr: `max by (${L.runId}, ${L.name}, ${L.operation}) (${PROM.runEta}{${perRun}})`, instant: true, format: 'table' },
      { expr: `max by (${L.runId}, ${L.name}, ${L.operation}) (${PROM.runEtaConfidence}{${perRun}})`, instant: true, format: 'table' },
      { expr: `max by (${L.runId}, ${L.name}, ${L.operation}) (${PROM.runIdleTime}{${perRun}})`, instant: true, format: 'table' },
    ],
    transformations: [
      { id: 'merge', options: {} },
      {
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          renameByName: {
            'Value #A': 'Progress',
            'Value #B': 'ETA',
            'Value #C': 'ETA confidence',
            'Value #D': 'Idle',
            [L.runId]: 'Run',
            [L.name]: 'Name',
            [L.operation]: 'Operation',
          },
        },
      },
    ],
    fieldConfig: { custom: { cellOptions: { type: 'auto' } } },
  },
  ...workerPanels(perRun),
  {
    title: 'Throughput by run',
    type: 'timeseries',
    queries: [{ expr: `sum by (${L.operation}) (rate(${PROM.itemsProcessed}{${perRun}}[$__rate_interval]))`, legend: `{{${L.operation}}}` }],
    unit: 'ops',
  },
  {
    title: 'Chunk latency with exemplars (click through to the trace)',
    type: 'timeseries',
    queries: [
      { expr: `histogram_quantile(0.95, sum by (le) (rate(${PROM.chunkDuration}_bucket{${perRun}}[$__rate_interval])))`, legend: 'p95', exemplar: true },
    ],
    unit: 's',
  },
  {
    title: 'Errors and alerts of the runs (Loki)',
    type: 'logs',
    width: 24,
    height: 10,
    datasource: LOKI,
    queries: [{ expr: '{service_name=~"$service"} | severity_text=~"ERROR|WARN"' }],
    options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending' },
  },
];

const sdk = (metric: string, extra = '') => `sum by (${L.errorType}) (rate(${metric}{job=~"$service"${extra}}[$__rate_interval]))`;
/** Records accepted (not refused) per request written, for one durable processor. */
const recordsPerRequest = (processed: string, componentType: string) =>
  `sum(rate(${processed}{job=~"$service", ${L.errorType}=""}[$__rate_interval])) / sum(rate(${PROM.processorRequests}{job=~"$service", ${L.componentType}="${componentType}"}[$__rate_interval]))`;
const pipelinePanels: PanelSpec[] = [
  { title: 'SDK: spans exported / failed', type: 'timeseries', queries: [{ expr: sdk(PROM.spanExported), legend: 'error: {{error_type}}' }], unit: 'ops' },
  { title: 'SDK: log records exported / failed', type: 'timeseries', queries: [{ expr: sdk(PROM.logExported), legend: 'error: {{error_type}}' }], unit: 'ops' },
  {
    title: 'SDK: spool (records waiting on disk)',
    type: 'timeseries',
    queries: [{ expr: `sum by (${L.componentType}) (${PROM.spoolRecords}{job=~"$service"})`, legend: '{{' + L.componentType + '}}' }],
    unit: 'short',
  },
  {
    title: 'SDK: retries, spooled, replayed, evicted',
    type: 'timeseries',
    queries: [
      { expr: sdk(PROM.exportRetries), legend: 'retried requests: {{error_type}}' },
      { expr: `sum(rate(${PROM.spoolSpooled}{job=~"$service"}[$__rate_interval]))`, legend: 'spooled records' },
      { expr: `sum(rate(${PROM.spoolReplayed}{job=~"$service"}[$__rate_interval]))`, legend: 'replayed records' },
      { expr: `sum(rate(${PROM.spoolEvicted}{job=~"$service"}[$__rate_interval]))`, legend: 'evicted records (lost)' },
    ],
    unit: 'ops',
  },
  // Flush timing: mostly size-triggered writes mean the batch size fits the rate; mostly interval-triggered, a quiet app or a large batch.
  {
    title: 'SDK: requests written, by trigger',
    type: 'timeseries',
    queries: [
      { expr: `sum by (${L.writeTrigger}) (rate(${PROM.processorRequests}{job=~"$service"}[$__rate_interval]))`, legend: '{{' + L.writeTrigger + '}}' },
    ],
    unit: 'reqps',
  },
  {
    title: 'SDK: records per export request',
    type: 'timeseries',
    queries: [
      { expr: recordsPerRequest(PROM.spanProcessed, COMPONENT_TYPE_DURABLE_PROCESSOR.traces), legend: 'spans' },
      { expr: recordsPerRequest(PROM.logProcessed, COMPONENT_TYPE_DURABLE_PROCESSOR.logs), legend: 'log records' },
    ],
    unit: 'short',
  },
  {
    title: 'SDK: export latency p50 / p99',
    type: 'timeseries',
    queries: [
      { expr: `histogram_quantile(0.5, sum by (le) (rate(${PROM.exportDuration}_bucket{job=~"$service"}[$__rate_interval])))`, legend: 'p50' },
      { expr: `histogram_quantile(0.99, sum by (le) (rate(${PROM.exportDuration}_bucket{job=~"$service"}[$__rate_interval])))`, legend: 'p99' },
    ],
    unit: 's',
  },
  {
    title: 'Collector: accepted',
    type: 'timeseries',
    queries: [
      { expr: `sum(rate(${COLLECTOR.receiverAcceptedSpans}[$__rate_interval]))`, legend: 'spans' },
      { expr: `sum(rate(${COLLECTOR.receiverAcceptedLogs}[$__rate_interval]))`, legend: 'log records' },
      { expr: `sum(rate(${COLLECTOR.receiverAcceptedMetricPoints}[$__rate_interval]))`, legend: 'metric points' },
    ],
    unit: 'ops',
  },
  {
    title: 'Collector: refused (memory limiter, errors)',
    type: 'timeseries',
    queries: [
      { expr: `sum(rate(${COLLECTOR.receiverRefusedSpans}[$__rate_interval]))`, legend: 'spans' },
      { expr: `sum(rate(${COLLECTOR.receiverRefusedLogs}[$__rate_interval]))`, legend: 'log records' },
      { expr: `sum(rate(${COLLECTOR.receiverRefusedMetricPoints}[$__rate_interval]))`, legend: 'metric points' },
    ],
    unit: 'ops',
  },
  {
    title: 'Collector: sent / failed by exporter',
    type: 'timeseries',
    queries: [
      { expr: `sum by (exporter) (rate(${COLLECTOR.exporterSentSpans}[$__rate_interval]))`, legend: 'sent spans {{exporter}}' },
      { expr: `sum by (exporter) (rate(${COLLECTOR.exporterSendFailedSpans}[$__rate_interval]))`, legend: 'failed spans {{exporter}}' },
      { expr: `sum by (exporter) (rate(${COLLECTOR.exporterSentLogs}[$__rate_interval]))`, legend: 'sent logs {{exporter}}' },
      { expr: `sum by (exporter) (rate(${COLLECTOR.exporterSendFailedLogs}[$__rate_interval]))`, legend: 'failed logs {{exporter}}' },
    ],
    unit: 'ops',
  },
  {
    title: 'Collector: queue size vs capacity',
    type: 'timeseries',
    queries: [
      { expr: `max by (exporter) (${COLLECTOR.exporterQueueSize})`, legend: 'size {{exporter}}' },
      { expr: `max by (exporter) (${COLLECTOR.exporterQueueCapacity})`, legend: 'capacity {{exporter}}' },
    ],
    unit: 'short',
  },
  {
    title: 'Collector: memory and traces held for tail sampling',
    type: 'timeseries',
    queries: [
      { expr: `max(${COLLECTOR.processMemoryRss})`, legend: 'RSS' },
      { expr: `max(${COLLECTOR.tailSamplingTracesOnMemory})`, legend: 'traces waiting for a decision' },
    ],
  },
];

export const DASHBOARDS = {
  'batch-overview': dashboard({
    uid: 'batchtel-overview',
    title: 'Batch operations overview',
    description: 'Which batches run, how fast, how far, errors, rate limiting, latency and cost.',
    tags: ['batchtel'],
    variables,
    panels: overviewPanels,
    links: [{ title: 'Run detail', tags: ['batchtel'], asDropdown: false }],
  }),
  'batch-run-detail': dashboard({
    uid: 'batchtel-run-detail',
    title: 'Batch run detail',
    description: 'Active runs with progress and ETA, throughput, traces of slow chunks, and the runs’ error logs.',
    tags: ['batchtel'],
    variables: variables.slice(0, 2),
    panels: runDetailPanels,
  }),
  'batch-pipeline-health': dashboard({
    uid: 'batchtel-pipeline-health',
    title: 'Telemetry pipeline health',
    description: 'The SDK’s export health and the collector’s own metrics: is anything being dropped?',
    tags: ['batchtel'],
    variables: variables.slice(0, 1),
    panels: pipelinePanels,
  }),
} as const;
