/**
 * Each signal's export pipeline as startTelemetry sets it up: traces and logs
 * through durable delivery (or the console), metrics through the maintained
 * OTLP exporters (or the console), each destination described for the handle.
 */
import { diag } from '@opentelemetry/api';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { BatchLogRecordProcessor, ConsoleLogRecordExporter, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ConsoleMetricExporter, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ReportOnce } from '../core/ReportOnce.js';
import type { DeliveryMetrics, DeliveryPipeline } from './delivery/DeliveryMetrics.js';
import { createDurableLogPipeline, createDurableSpanPipeline, type DurableDeliveryConfig } from './delivery/durablePipelines.js';
import type { Signal } from './env.js';
import { FallbackExporter } from './FallbackExporter.js';
import { LocalFileMetricExporter } from './LocalFileExporter.js';
import type { Redactor } from './redact.js';
import { RedactingLogRecordExporter, RedactingSpanExporter } from './RedactingExporters.js';
import type { Resolved, TelemetrySetupOptions } from './telemetrySetup.js';
import { UntracedLogRecordProcessor, UntracedSpanProcessor } from './Untraced.js';
import { batchtelTemporalitySelector } from './temporality.js';

export interface SignalPipelines {
  readonly spanProcessor: SpanProcessor | undefined;
  readonly logProcessor: LogRecordProcessor | undefined;
  readonly metricExporter: PushMetricExporter | undefined;
  /** The durable pipelines, for delivery stats and metrics. */
  readonly pipelines: DeliveryPipeline[];
  /** One line per signal: where it goes. */
  readonly destinations: string[];
  /** Export latencies are recorded once the meter provider exists. */
  setDeliveryMetrics(metrics: DeliveryMetrics): void;
}

interface Context {
  readonly options: TelemetrySetupOptions;
  readonly r: Resolved;
  readonly redactor: Redactor;
  readonly announce: (message: string) => void;
  readonly destinations: string[];
  readonly pipelines: DeliveryPipeline[];
  readonly deliveryMetrics: () => DeliveryMetrics | undefined;
}

export function createSignalPipelines(options: TelemetrySetupOptions, r: Resolved, redactor: Redactor): SignalPipelines {
  // One announcement for all three signals.
  const announcement = new ReportOnce<'collector_down'>((_, message) => process.stderr.write(`${message}\n`));
  let deliveryMetrics: DeliveryMetrics | undefined;
  const ctx: Context = {
    options,
    r,
    redactor,
    announce: (message) => void announcement.report('collector_down', message),
    destinations: [],
    pipelines: [],
    deliveryMetrics: () => deliveryMetrics,
  };
  // Console output is for a look while developing: the stock batch processors, a queue large enough for a demo.
  // They start their timers in the app's context, so each record is handed over untraced; the durable
  // processors start theirs untraced themselves, only when they write.
  const batchOptions = { maxQueueSize: 65_536, maxExportBatchSize: options.maxExportBatchSize };
  return {
    spanProcessor: durableOrConsole<SpanProcessor>(ctx, 'traces', createDurableSpanPipeline, () => {
      return new UntracedSpanProcessor(new BatchSpanProcessor({ exporter: new RedactingSpanExporter(new ConsoleSpanExporter(), redactor), ...batchOptions }));
    }),
    logProcessor: durableOrConsole<LogRecordProcessor>(ctx, 'logs', createDurableLogPipeline, () => {
      return new UntracedLogRecordProcessor(
        new BatchLogRecordProcessor({ exporter: new RedactingLogRecordExporter(new ConsoleLogRecordExporter(), redactor), ...batchOptions }),
      );
    }),
    metricExporter: metricExporterFor(ctx),
    pipelines: ctx.pipelines,
    destinations: ctx.destinations,
    setDeliveryMetrics: (metrics) => {
      deliveryMetrics = metrics;
    },
  };
}

/** The signal's exporter choice, its destination noted. */
function describe(ctx: Context, signal: Signal): string {
  const { r, redactor, options } = ctx;
  const choice = r.choice(signal);
  ctx.destinations.push(
    choice === 'otlp'
      ? `${signal} → ${redactor.text(r.url(signal))} (${r.protocol(signal)}${r.implicit(signal) ? `, else ${options.localDir}` : ''})`
      : `${signal} → ${choice}`,
  );
  return choice;
}

/**
 * Traces or logs: durable delivery (nothing handed over is lost: spool first,
 * retry, replay, and the local folder while no collector runs at the implicit
 * default), or the console. The spool itself copes with an unusable folder
 * (memory-only delivery, one warning); anything else that keeps a pipeline
 * from starting costs that signal, never the app.
 */
function durableOrConsole<P>(
  ctx: Context,
  signal: 'traces' | 'logs',
  create: (config: DurableDeliveryConfig) => { processor: P; pipeline: DeliveryPipeline },
  onConsole: () => P,
): P | undefined {
  switch (describe(ctx, signal)) {
    case 'otlp':
      try {
        const durable = create(durableConfig(ctx, signal));
        ctx.pipelines.push(durable.pipeline);
        return durable.processor;
      } catch (error) {
        diag.warn(`batchtel: ${signal} are not exported: their delivery could not start (${String(error)})`);
        return undefined;
      }
    case 'console':
      return onConsole();
    default:
      return undefined;
  }
}

function durableConfig(ctx: Context, signal: 'traces' | 'logs'): DurableDeliveryConfig {
  const { r, options, redactor } = ctx;
  const encoding = r.protocol(signal) === 'http/json' ? ('json' as const) : ('protobuf' as const);
  const where = redactor.text(r.url(signal));
  return {
    url: r.url(signal),
    headers: r.headers(signal),
    timeoutMillis: r.timeoutMillis(signal),
    gzip: r.gzip(signal),
    encoding,
    spoolDir: options.spoolDir,
    maxSpoolBytes: options.maxSpoolBytes,
    fsync: options.spoolFsync,
    syncIntervalMs: options.syncIntervalMillis,
    priorityDelayMs: options.priorityFlushMillis,
    shutdownTimeoutMillis: options.shutdownTimeoutMillis,
    maxBatchSize: options.maxExportBatchSize,
    concurrency: options.exportConcurrency,
    maxBackoffMs: options.maxBackoffMillis,
    redactor,
    worker: true,
    onExport: (seconds, result) => ctx.deliveryMetrics()?.recordExport(signal, encoding, seconds, result),
    local: r.implicit(signal)
      ? {
          dir: options.localDir,
          announce: () =>
            ctx.announce(
              encoding === 'json'
                ? `batchtel: no OpenTelemetry Collector answers at ${where}; telemetry is written to ${options.localDir} instead`
                : `batchtel: no OpenTelemetry Collector answers at ${where}; ${signal} wait in ${options.spoolDir} until one does (the local folder takes OTLP JSON: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json for it)`,
            ),
        }
      : undefined,
  };
}

/** Metrics: the maintained OTLP exporters with batchtel's temporality (and the local folder at the implicit default), or the console. */
function metricExporterFor(ctx: Context): PushMetricExporter | undefined {
  const { r, options, redactor } = ctx;
  switch (describe(ctx, 'metrics')) {
    case 'otlp': {
      const common = {
        url: r.url('metrics'),
        headers: r.headers('metrics'),
        timeoutMillis: r.timeoutMillis('metrics'),
        // Typed as otlp-exporter-base's CompressionAlgorithm enum (not a dependency of ours); its values are these strings.
        compression: (r.gzip('metrics') ? 'gzip' : 'none') as never,
      };
      const otlp = r.protocol('metrics') === 'http/json' ? new OTLPMetricExporterJson(common) : new OTLPMetricExporterProto(common);
      otlp.selectAggregationTemporality = batchtelTemporalitySelector;
      if (!r.implicit('metrics')) return otlp;
      const local = new LocalFileMetricExporter(options.localDir);
      const fallback: PushMetricExporter = new FallbackExporter(
        otlp,
        local,
        { primary: redactor.text(r.url('metrics')), fallback: options.localDir },
        30_000,
        ctx.announce,
      );
      fallback.selectAggregationTemporality = batchtelTemporalitySelector;
      return fallback;
    }
    case 'console':
      return new ConsoleMetricExporter({ temporalitySelector: batchtelTemporalitySelector });
    default:
      return undefined;
  }
}
