/**
 * The OpenTelemetry Collector's own metrics (not ours, so not in src/semconv.ts),
 * as its Prometheus endpoint (:8888) names them at the pinned version 0.160.
 * The counters appear once the first item passed through.
 */
export const COLLECTOR = {
  receiverAcceptedSpans: 'otelcol_receiver_accepted_spans_total',
  receiverAcceptedLogs: 'otelcol_receiver_accepted_log_records_total',
  receiverAcceptedMetricPoints: 'otelcol_receiver_accepted_metric_points_total',
  receiverRefusedSpans: 'otelcol_receiver_refused_spans_total',
  receiverRefusedLogs: 'otelcol_receiver_refused_log_records_total',
  receiverRefusedMetricPoints: 'otelcol_receiver_refused_metric_points_total',
  exporterSentSpans: 'otelcol_exporter_sent_spans_total',
  exporterSentLogs: 'otelcol_exporter_sent_log_records_total',
  exporterSentMetricPoints: 'otelcol_exporter_sent_metric_points_total',
  exporterSendFailedSpans: 'otelcol_exporter_send_failed_spans_total',
  exporterSendFailedLogs: 'otelcol_exporter_send_failed_log_records_total',
  exporterSendFailedMetricPoints: 'otelcol_exporter_send_failed_metric_points_total',
  exporterQueueSize: 'otelcol_exporter_queue_size',
  exporterQueueCapacity: 'otelcol_exporter_queue_capacity',
  tailSamplingTracesOnMemory: 'otelcol_processor_tail_sampling_sampling_traces_on_memory',
  processMemoryRss: 'otelcol_process_memory_rss',
} as const;
