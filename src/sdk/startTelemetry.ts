import { diag, metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, ConsoleLogRecordExporter, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import {
  AggregationType,
  ConsoleMetricExporter,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import { parseOptions } from '../api/options.js';
import { VERSION } from '../instrument/version.js';
import { readOtelEnv, type ExporterChoice, type Protocol, type Signal } from './env.js';
import { FallbackExporter } from './FallbackExporter.js';
import { ItemSpanSampler } from './ItemSpanSampler.js';
import { LocalFileLogRecordExporter, LocalFileMetricExporter, LocalFileSpanExporter } from './LocalFileExporter.js';
import { createDurableLogRecordExporter, createDurableSpanExporter } from './delivery/durableExporters.js';
import { createRedactor } from './redact.js';
import { RedactingLogRecordExporter, RedactingSpanExporter } from './RedactingExporters.js';
import { batchtelTemporalitySelector } from './temporality.js';

const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';

const exporterChoice = z.enum(['otlp', 'console', 'none']);

export const telemetrySetupSchema = z.strictObject({
  /** `service.name`; else OTEL_SERVICE_NAME; else `unknown_service:node`. */
  serviceName: z.string().min(1).optional(),
  /** OTLP/HTTP base URL (`/v1/<signal>` is appended); else OTEL_EXPORTER_OTLP_ENDPOINT; else 127.0.0.1:4318 with a local fallback. */
  endpoint: z.url().optional(),
  protocol: z.enum(['http/protobuf', 'http/json']).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  compression: z.enum(['gzip', 'none']).optional(),
  timeoutMillis: z.number().int().min(1).optional(),
  traces: exporterChoice.optional(),
  metrics: exporterChoice.optional(),
  logs: exporterChoice.optional(),
  resourceAttributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** Share of item spans kept; run, segment and chunk spans are always kept. */
  itemSpanRatio: z.number().min(0).max(1).default(0.01),
  metricExportIntervalMillis: z.number().int().min(100).optional(),
  /** Exponential histograms instead of the contract's explicit buckets. */
  exponentialHistograms: z.boolean().default(false),
  /** Series per instrument before new attribute sets fold into the overflow series. */
  cardinalityLimit: z.number().int().min(1).default(2000),
  /** Extra attribute keys whose values are always masked. */
  redactKeys: z.array(z.string()).default([]),
  /** Where telemetry goes when no collector answers at the default endpoint. */
  localDir: z.string().default('.batchtel/otlp'),
  /** Undeliverable export requests wait here for replay (a configured endpoint's spans and logs). */
  spoolDir: z.string().default('.batchtel/spool'),
  /** Spool size limit; past it the oldest requests are evicted (counted). */
  maxSpoolBytes: z.number().int().min(1024).default(256 * 1024 * 1024),
  /** How long one export retries (429, 502, 503, 504, connection) before its request is spooled. */
  retryWindowMillis: z.number().int().min(0).default(5000),
  /** Flush and shut down on SIGTERM, SIGINT and beforeExit. */
  handleSignals: z.boolean().default(true),
  shutdownTimeoutMillis: z.number().int().min(100).default(5000),
});

export type TelemetrySetup = z.input<typeof telemetrySetupSchema>;

export interface TelemetryHandle {
  /** Where each signal goes, in words, for a startup line. */
  readonly destination: string;
  forceFlush(): Promise<void>;
  /** Flushes and shuts down once; later calls return the same promise. */
  shutdown(): Promise<void>;
}

interface Resolved {
  url: (signal: Signal) => string;
  protocol: (signal: Signal) => Protocol;
  choice: (signal: Signal) => ExporterChoice;
  implicitEndpoint: boolean;
}

function resolve(options: z.output<typeof telemetrySetupSchema>, env = readOtelEnv()): Resolved {
  const base = (options.endpoint ?? env.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  return {
    url: (signal) => (options.endpoint ? `${base}/v1/${signal}` : (env.signalEndpoints[signal] ?? `${base}/v1/${signal}`)),
    protocol: (signal) => options.protocol ?? env.signalProtocols[signal] ?? env.protocol ?? 'http/protobuf',
    choice: (signal) => options[signal] ?? env.exporters[signal] ?? 'otlp',
    implicitEndpoint: !options.endpoint && !env.endpoint,
  };
}

/**
 * One call for apps with no OpenTelemetry setup: tracer, meter and logger
 * providers with OTLP/HTTP exporters (protobuf by default, gzip on), the
 * standard OTEL_* variables honoured, secrets masked before export, and a
 * flush on shutdown. Registers the global providers: only call it in an app.
 */
export function startTelemetry(input: TelemetrySetup = {}): TelemetryHandle {
  const options = parseOptions(telemetrySetupSchema, input, 'startTelemetry options');
  const env = readOtelEnv();
  const r = resolve(options, env);
  const redactor = createRedactor(options.redactKeys);
  const headers = { ...env.headers, ...options.headers };
  const compression = (options.compression ?? env.compression ?? 'gzip') === 'gzip' ? 'gzip' : 'none';
  // The implicit local default should fail over quickly rather than retry for the full timeout.
  const timeoutMillis = options.timeoutMillis ?? env.timeoutMillis ?? (r.implicitEndpoint ? 2000 : 10_000);
  const resource = resourceFromAttributes({
    ...env.resourceAttributes,
    ...options.resourceAttributes,
    'service.name': options.serviceName ?? env.serviceName ?? env.resourceAttributes['service.name'] ?? 'unknown_service:node',
    'telemetry.distro.name': 'batchtel',
    'telemetry.distro.version': VERSION,
  });
  const common = (signal: Signal) => ({ url: r.url(signal), headers, timeoutMillis, compression: compression as never });
  const destinations: string[] = [];
  const durable = (signal: 'traces' | 'logs') => ({
    url: r.url(signal),
    headers,
    timeoutMillis,
    gzip: compression === 'gzip',
    encoding: r.protocol(signal) === 'http/json' ? ('json' as const) : ('protobuf' as const),
    spoolDir: options.spoolDir,
    maxSpoolBytes: options.maxSpoolBytes,
    retryWindowMs: options.retryWindowMillis,
  });
  // One announcement for all three signals.
  let announced = false;
  const announce = (message: string) => {
    if (announced) return;
    announced = true;
    process.stderr.write(`${message}\n`);
  };
  const withFallback = <T>(signal: Signal, primary: T, local: T): T => {
    if (!r.implicitEndpoint) return primary;
    return new FallbackExporter(primary as never, local as never, { primary: r.url(signal), fallback: options.localDir }, 30_000, announce) as T;
  };
  const describe = (signal: Signal) => {
    const choice = r.choice(signal);
    destinations.push(
      choice === 'otlp' ? `${signal} → ${r.url(signal)} (${r.protocol(signal)}${r.implicitEndpoint ? `, else ${options.localDir}` : ''})` : `${signal} → ${choice}`,
    );
    return choice;
  };

  let spanExporter: SpanExporter | undefined;
  switch (describe('traces')) {
    case 'otlp': {
      if (r.implicitEndpoint) {
        const otlp = r.protocol('traces') === 'http/json' ? new OTLPTraceExporterJson(common('traces')) : new OTLPTraceExporterProto(common('traces'));
        spanExporter = withFallback<SpanExporter>('traces', otlp, new LocalFileSpanExporter(options.localDir));
      } else {
        // A configured collector: nothing handed to the exporter is lost (retry, spool, replay).
        spanExporter = createDurableSpanExporter(durable('traces'));
      }
      break;
    }
    case 'console':
      spanExporter = new ConsoleSpanExporter();
  }
  let logExporter: LogRecordExporter | undefined;
  switch (describe('logs')) {
    case 'otlp': {
      if (r.implicitEndpoint) {
        const otlp = r.protocol('logs') === 'http/json' ? new OTLPLogExporterJson(common('logs')) : new OTLPLogExporterProto(common('logs'));
        logExporter = withFallback<LogRecordExporter>('logs', otlp, new LocalFileLogRecordExporter(options.localDir));
      } else {
        logExporter = createDurableLogRecordExporter(durable('logs'));
      }
      break;
    }
    case 'console':
      logExporter = new ConsoleLogRecordExporter();
  }
  let metricExporter: PushMetricExporter | undefined;
  switch (describe('metrics')) {
    case 'otlp': {
      const otlp = r.protocol('metrics') === 'http/json' ? new OTLPMetricExporterJson(common('metrics')) : new OTLPMetricExporterProto(common('metrics'));
      otlp.selectAggregationTemporality = batchtelTemporalitySelector;
      metricExporter = withFallback<PushMetricExporter>('metrics', otlp, new LocalFileMetricExporter(options.localDir));
      if (metricExporter !== otlp) (metricExporter as PushMetricExporter).selectAggregationTemporality = batchtelTemporalitySelector;
      break;
    }
    case 'console':
      metricExporter = new ConsoleMetricExporter({ temporalitySelector: batchtelTemporalitySelector });
  }

  const sampler = new ItemSpanSampler(options.itemSpanRatio);
  const tracerProvider = new TracerProvider({
    resource,
    sampler,
    spanProcessors: spanExporter
      ? [new BatchSpanProcessor({ exporter: new RedactingSpanExporter(spanExporter, redactor), maxQueueSize: 65_536, maxExportBatchSize: 2048 })]
      : [],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: logExporter
      ? [new BatchLogRecordProcessor({ exporter: new RedactingLogRecordExporter(logExporter, redactor), maxQueueSize: 65_536, maxExportBatchSize: 2048 })]
      : [],
  });
  const views: ViewOptions[] = options.exponentialHistograms
    ? [{ instrumentType: InstrumentType.HISTOGRAM, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }]
    : [];
  const meterProvider = new MeterProvider({
    resource,
    views,
    readers: metricExporter
      ? [
          new PeriodicExportingMetricReader({
            exporter: metricExporter,
            exportIntervalMillis: options.metricExportIntervalMillis ?? env.metricExportIntervalMillis ?? 10_000,
            cardinalityLimits: { default: options.cardinalityLimit },
          }),
        ]
      : [],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  let shutdownPromise: Promise<void> | undefined;
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    void handle.shutdown().finally(() => {
      // Our handler kept the process alive; end it the way the signal would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  const onBeforeExit = () => void handle.shutdown();
  const removeHandlers = () => {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('beforeExit', onBeforeExit);
  };
  const handle: TelemetryHandle = {
    destination: destinations.join('; '),
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown: () => {
      shutdownPromise ??= (async () => {
        removeHandlers();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolveDeadline) => {
          timer = setTimeout(() => {
            diag.warn(`batchtel: telemetry shutdown took longer than ${options.shutdownTimeoutMillis} ms; giving up`);
            resolveDeadline();
          }, options.shutdownTimeoutMillis);
          timer.unref();
        });
        // Logs and traces first: the final metric export then carries the run's last counts.
        const work = Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()])
          .then(() => meterProvider.shutdown())
          .catch((error: unknown) => diag.error(`batchtel: telemetry shutdown failed: ${String(error)}`));
        await Promise.race([work, deadline]);
        if (timer) clearTimeout(timer);
        trace.disable();
        logs.disable();
        metrics.disable();
      })();
      return shutdownPromise;
    },
  };
  if (options.handleSignals) {
    for (const signal of signals) process.once(signal, onSignal);
    process.once('beforeExit', onBeforeExit);
  }
  return handle;
}
