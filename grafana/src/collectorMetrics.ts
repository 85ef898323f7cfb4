/**
 * The OpenTelemetry Collector's own metrics (not ours, so not in src/semconv.ts),
 * as its Prometheus endpoint (:8888) names them at the pinned version 0.160
 * (no `_total` suffix there). Counters appear with the first item through;
 * send-failed counters only once an item was dropped.
 */
export const COLLECTOR = {
  receiverAcceptedSpans: 'otelcol_receiver_accepted_spans',
  receiverAcceptedLogs: 'otelcol_receiver_accepted_log_records',
  receiverAcceptedMetricPoints: 'otelcol_receiver_accepted_metric_points',
  receiverRefusedSpans: 'otelcol_receiver_refused_spans',
  receiverRefusedLogs: 'otelcol_receiver_refused_log_records',
  receiverRefusedMetricPoints: 'otelcol_receiver_refused_metric_points',
  exporterSentSpans: 'otelcol_exporter_sent_spans',
  exporterSentLogs: 'otelcol_exporter_sent_log_records',
  exporterSentMetricPoints: 'otelcol_exporter_sent_metric_points',
  exporterSendFailedSpans: 'otelcol_exporter_send_failed_spans',
  exporterSendFailedLogs: 'otelcol_exporter_send_failed_log_records',
  exporterSendFailedMetricPoints: 'otelcol_exporter_send_failed_metric_points',
  exporterQueueSize: 'otelcol_exporter_queue_size',
  exporterQueueCapacity: 'otelcol_exporter_queue_capacity',
  tailSamplingTracesOnMemory: 'otelcol_processor_tail_sampling_sampling_traces_on_memory',
  processMemoryRss: 'otelcol_process_memory_rss',
} as const;
