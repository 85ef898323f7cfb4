import type { Attributes, BatchObservableResult, Histogram, Meter, Observable } from '@opentelemetry/api';
import {
  ATTR_BATCHTEL_WRITE_TRIGGER,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_OTEL_COMPONENT_NAME,
  ATTR_OTEL_COMPONENT_TYPE,
  COMPONENT_TYPE_DURABLE_PROCESSOR,
  DELIVERY_ERROR_TYPE_VALUES,
  DELIVERY_METRICS,
} from '../../semconv.js';
import type { MetricDefinition } from '../../semconv.js';
import { instrumentOptions } from '../../instrument/instrumentOptions.js';
import type { Delivery } from './Delivery.js';
import type { DurableBatchProcessor } from './DurableBatchProcessor.js';
import type { SendResult } from './OtlpHttpTransport.js';

export interface DeliveryPipeline {
  readonly signal: 'traces' | 'logs';
  readonly encoding: 'protobuf' | 'json';
  readonly processor: DurableBatchProcessor<unknown>;
  /** Where encoded requests go: spooled and sent on this thread or on the export worker's. */
  readonly sender: Delivery;
  readonly spool: SpoolView;
}

/** The spool as the app's thread sees it (the files may be the export worker's). */
export interface SpoolView {
  bytes(): number;
  /** Request files, oldest first. */
  names(): string[];
}

/** One signal's delivery, for the app and for tests: accepted + inherited = delivered + rejected + dropped + pending. */
export interface DeliveryStats {
  readonly signal: 'traces' | 'logs';
  /** Records handed to the processor in this process. */
  readonly accepted: number;
  /** Records found in the spool at start, left by a process that is gone. */
  readonly inherited: number;
  readonly delivered: number;
  readonly rejected: number;
  /** Lost records by error.type. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Records not yet delivered: in memory, on disk or in flight. */
  readonly pending: number;
  readonly spooled: number;
  readonly replayed: number;
  readonly retries: Readonly<Record<string, number>>;
  /** Of the delivered, records written to the local folder because no collector answered at the implicit default. */
  readonly writtenLocally: number;
  /** Records the local folder evicted past its size limit (they were counted delivered when written there). */
  readonly localEvicted: number;
  readonly spoolBytes: number;
}

export function deliveryStats(p: DeliveryPipeline): DeliveryStats {
  const c = p.sender.counts;
  const dropped = { ...c.dropped };
  // Handed over after shutdown is refused, not accepted; everything else accepted and not kept is lost.
  for (const [reason, n] of Object.entries(p.processor.counts.refused))
    if (reason !== DELIVERY_ERROR_TYPE_VALUES.shutdown) dropped[reason] = (dropped[reason] ?? 0) + n;
  return {
    signal: p.signal,
    accepted: p.processor.counts.accepted,
    inherited: c.inherited,
    delivered: c.delivered,
    rejected: c.rejected,
    dropped,
    pending: p.sender.pending() + p.processor.buffered(),
    spooled: c.spooled,
    replayed: c.replayed,
    retries: { ...c.retries },
    writtenLocally: c.writtenLocally,
    localEvicted: c.localEvicted,
    spoolBytes: p.spool.bytes(),
  };
}

const component = (type: string): Attributes => ({ [ATTR_OTEL_COMPONENT_TYPE]: type, [ATTR_OTEL_COMPONENT_NAME]: `${type}/0` });

/** The semantic conventions' exporter component type: `otlp_http[_json]_{span,log}_exporter`. */
const exporterComponent = (signal: 'traces' | 'logs', encoding: 'protobuf' | 'json'): Attributes =>
  component(`otlp_http${encoding === 'json' ? '_json' : ''}_${signal === 'traces' ? 'span' : 'log'}_exporter`);

/**
 * The pipeline's own health as metrics, read from its counters at collection
 * time (nothing is recorded per record): what the processor accepted, what
 * the exporter delivered or lost and why, retries, and the spool.
 */
export class DeliveryMetrics {
  private readonly duration: Histogram;
  private readonly durationAttrs = new Map<string, Attributes>();

  constructor(meter: Meter, pipelines: readonly DeliveryPipeline[]) {
    const observable = (def: MetricDefinition) =>
      def.instrument === 'observable_counter'
        ? meter.createObservableCounter(def.name, instrumentOptions(def))
        : meter.createObservableUpDownCounter(def.name, instrumentOptions(def));
    const m = DELIVERY_METRICS;
    const processed = { traces: observable(m.spanProcessed), logs: observable(m.logProcessed) };
    const queue = { traces: observable(m.spanQueueSize), logs: observable(m.logQueueSize) };
    const exported = { traces: observable(m.spanExported), logs: observable(m.logExported) };
    const inflight = { traces: observable(m.spanInflight), logs: observable(m.logInflight) };
    const retries = observable(m.exportRetries);
    const spoolRecords = observable(m.spoolRecords);
    const spoolSize = observable(m.spoolSize);
    const spooled = observable(m.spoolSpooled);
    const replayed = observable(m.spoolReplayed);
    const evicted = observable(m.spoolEvicted);
    const requests = observable(m.processorRequests);
    this.duration = meter.createHistogram(m.exportDuration.name, instrumentOptions(m.exportDuration));
    const all = [
      ...Object.values(processed),
      ...Object.values(queue),
      ...Object.values(exported),
      ...Object.values(inflight),
      retries,
      spoolRecords,
      spoolSize,
      spooled,
      replayed,
      evicted,
      requests,
    ];
    meter.addBatchObservableCallback((result) => {
      for (const p of pipelines) {
        const signal = p.signal;
        const processorAttrs = component(COMPONENT_TYPE_DURABLE_PROCESSOR[signal]);
        const exporterAttrs = exporterComponent(signal, p.encoding);
        const c = p.sender.counts;
        result.observe(processed[signal], p.processor.counts.accepted, processorAttrs);
        observeByType(result, processed[signal], p.processor.counts.refused, processorAttrs);
        result.observe(queue[signal], p.processor.buffered(), processorAttrs);
        for (const [trigger, n] of Object.entries(p.processor.counts.requests))
          result.observe(requests, n, { ...processorAttrs, [ATTR_BATCHTEL_WRITE_TRIGGER]: trigger });
        result.observe(exported[signal], c.delivered, exporterAttrs);
        if (c.rejected > 0) result.observe(exported[signal], c.rejected, { ...exporterAttrs, [ATTR_ERROR_TYPE]: DELIVERY_ERROR_TYPE_VALUES.rejected });
        observeByType(result, exported[signal], c.dropped, exporterAttrs);
        result.observe(inflight[signal], p.sender.inflightRecords(), exporterAttrs);
        observeByType(result, retries, c.retries, exporterAttrs);
        result.observe(spoolRecords, p.sender.pending(), processorAttrs);
        result.observe(spoolSize, p.spool.bytes(), processorAttrs);
        result.observe(spooled, c.spooled, processorAttrs);
        result.observe(replayed, c.replayed, processorAttrs);
        result.observe(evicted, c.dropped[DELIVERY_ERROR_TYPE_VALUES.evicted] ?? 0, processorAttrs);
      }
    }, all);
  }

  /** Export latency, per request. */
  recordExport(signal: 'traces' | 'logs', encoding: 'protobuf' | 'json', seconds: number, result: SendResult): void {
    const key = `${signal}/${encoding}/${result.ok ? '' : result.reason}`;
    let attrs = this.durationAttrs.get(key);
    if (!attrs) {
      attrs = exporterComponent(signal, encoding);
      if (!result.ok) attrs = { ...attrs, [ATTR_ERROR_TYPE]: result.reason, ...(result.status ? { [ATTR_HTTP_RESPONSE_STATUS_CODE]: result.status } : {}) };
      // Reasons are status codes and connection error codes: a handful.
      if (this.durationAttrs.size < 64) this.durationAttrs.set(key, attrs);
    }
    this.duration.record(seconds, attrs);
  }
}

function observeByType(result: BatchObservableResult, instrument: Observable, counts: Record<string, number>, base: Attributes): void {
  for (const [type, n] of Object.entries(counts)) result.observe(instrument, n, { ...base, [ATTR_ERROR_TYPE]: type });
}
