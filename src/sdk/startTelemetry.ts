import { diag, DiagConsoleLogger, metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { randomUUID } from 'node:crypto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, ConsoleLogRecordExporter, LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, ConsoleMetricExporter, InstrumentType, MeterProvider, type PushMetricExporter, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { parseOptions } from './parseOptions.js';
import { ReportOnce } from '../core/ReportOnce.js';
import { SCOPE_NAME } from '../semconv.js';
import { VERSION } from '../instrument/version.js';
import { BoundedCumulativeReader } from './BoundedCumulativeReader.js';
import { readOtelEnv, type OtelEnv, type Signal } from './env.js';
import { limitsOf, resolve, telemetrySetupSchema, type TelemetryHandle, type TelemetrySetup, type TelemetrySetupOptions } from './telemetrySetup.js';
import { FallbackExporter } from './FallbackExporter.js';
import { ItemSpanSampler } from './ItemSpanSampler.js';
import { PresetIdGenerator } from './PresetIdGenerator.js';
import { samplerFromEnv } from './samplerFromEnv.js';
import { LocalFileMetricExporter } from './LocalFileExporter.js';
import { DeliveryMetrics, deliveryStats, type DeliveryPipeline } from './delivery/DeliveryMetrics.js';
import { createDurableLogPipeline, createDurableSpanPipeline } from './delivery/durablePipelines.js';
import type { SendResult } from './delivery/OtlpHttpTransport.js';
import { createRedactor } from './redact.js';
import { RedactingLogRecordExporter, RedactingMetricExporter, RedactingSpanExporter } from './RedactingExporters.js';
import { batchtelTemporalitySelector } from './temporality.js';
import { registerGlobalContext } from './globalContext.js';
import { untraced, UntracedLogRecordProcessor, UntracedSpanProcessor } from './Untraced.js';

/** OTEL_SDK_DISABLED=true: nothing registered, batchtel's instrumentation stays on the API's no-ops. */
function disabledHandle(): TelemetryHandle {
  return {
    destination: 'nowhere (OTEL_SDK_DISABLED=true)',
    deliveryStats: () => [],
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
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
  // As the SDK specification (and NodeSDK) read them: the SDK's own log level, and a switch that turns it all off.
  if (env.logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel: env.logLevel, suppressOverrideMessage: true });
  // A malformed variable never stops the app: it is named once, and its default applies.
  for (const problem of env.problems) diag.warn(problem);
  if (env.sdkDisabled) return disabledHandle();
  // Before anything else: the pipelines below are built, and their timers started, with tracing suppressed.
  const undoGlobalContext = registerGlobalContext(env.propagators);
  return untraced(() => start(options, env, undoGlobalContext));
}

function start(options: TelemetrySetupOptions, env: OtelEnv, undoGlobalContext: () => void): TelemetryHandle {
  const r = resolve(options, env);
  const redactor = createRedactor(options.redactKeys);
  // The resource goes out with every request: secrets in OTEL_RESOURCE_ATTRIBUTES are masked too.
  const resourceAttributes = Object.entries({ ...env.resourceAttributes, ...options.resourceAttributes }).map(([key, value]) => [
    key,
    redactor.value(key, value),
  ]);
  const resource = resourceFromAttributes({
    ...(Object.fromEntries(resourceAttributes) as Record<string, string | number | boolean>),
    'service.name': options.serviceName ?? env.serviceName ?? env.resourceAttributes['service.name'] ?? 'unknown_service:node',
    // One per process, so the workers of a distributed run stay apart in Prometheus and traces.
    'service.instance.id': (Object.fromEntries(resourceAttributes) as Record<string, string>)['service.instance.id'] ?? randomUUID(),
    'telemetry.distro.name': 'batchtel',
    'telemetry.distro.version': VERSION,
  });
  const common = (signal: Signal) => ({
    url: r.url(signal),
    headers: r.headers(signal),
    timeoutMillis: r.timeoutMillis(signal),
    // Typed as otlp-exporter-base's CompressionAlgorithm enum (not a dependency of ours); its values are these strings.
    compression: (r.gzip(signal) ? 'gzip' : 'none') as never,
  });
  const destinations: string[] = [];
  const pipelines: DeliveryPipeline[] = [];
  let deliveryMetrics: DeliveryMetrics | undefined;
  const durable = (signal: 'traces' | 'logs') => {
    const encoding = r.protocol(signal) === 'http/json' ? ('json' as const) : ('protobuf' as const);
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
      onExport: (seconds: number, result: SendResult) => deliveryMetrics?.recordExport(signal, encoding, seconds, result),
      ...(r.implicit(signal)
        ? {
            local: {
              dir: options.localDir,
              announce: () =>
                announce(
                  encoding === 'json'
                    ? `batchtel: no OpenTelemetry Collector answers at ${redactor.text(r.url(signal))}; telemetry is written to ${options.localDir} instead`
                    : `batchtel: no OpenTelemetry Collector answers at ${redactor.text(r.url(signal))}; ${signal} wait in ${options.spoolDir} until one does (the local folder takes OTLP JSON: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json for it)`,
                ),
            },
          }
        : {}),
    };
  };
  // One announcement for all three signals.
  const announcement = new ReportOnce<'collector_down'>((_, message) => process.stderr.write(`${message}\n`));
  const announce = (message: string) => void announcement.report('collector_down', message);
  const withFallback = (primary: PushMetricExporter): PushMetricExporter => {
    if (!r.implicit('metrics')) return primary;
    const local = new LocalFileMetricExporter(options.localDir);
    return new FallbackExporter(primary, local, { primary: redactor.text(r.url('metrics')), fallback: options.localDir }, 30_000, announce);
  };
  const describe = (signal: Signal) => {
    const choice = r.choice(signal);
    destinations.push(
      choice === 'otlp'
        ? `${signal} → ${redactor.text(r.url(signal))} (${r.protocol(signal)}${r.implicit(signal) ? `, else ${options.localDir}` : ''})`
        : `${signal} → ${choice}`,
    );
    return choice;
  };

  // Console output is for a look while developing: the stock batch processors, a queue large enough for a demo.
  const batchOptions = { maxQueueSize: 65_536, maxExportBatchSize: options.maxExportBatchSize };
  // The spool itself copes with an unusable folder (memory-only delivery, one warning); anything
  // else that keeps a pipeline from starting costs that signal, never the app.
  const withSpool = <T>(signal: 'traces' | 'logs', create: (config: ReturnType<typeof durable>) => T): T | undefined => {
    try {
      return create(durable(signal));
    } catch (error) {
      diag.warn(`batchtel: ${signal} are not exported: their delivery could not start (${String(error)})`);
      return undefined;
    }
  };
  let spanProcessor: SpanProcessor | undefined;
  switch (describe('traces')) {
    case 'otlp': {
      // Nothing handed over is lost: spool first, retry, replay (and the local folder while no collector runs).
      const durableSpans = withSpool('traces', createDurableSpanPipeline);
      if (durableSpans) pipelines.push(durableSpans.pipeline);
      spanProcessor = durableSpans?.processor;
      break;
    }
    case 'console':
      spanProcessor = new BatchSpanProcessor({ exporter: new RedactingSpanExporter(new ConsoleSpanExporter(), redactor), ...batchOptions });
  }
  let logProcessor: LogRecordProcessor | undefined;
  switch (describe('logs')) {
    case 'otlp': {
      const durableLogs = withSpool('logs', createDurableLogPipeline);
      if (durableLogs) pipelines.push(durableLogs.pipeline);
      logProcessor = durableLogs?.processor;
      break;
    }
    case 'console':
      logProcessor = new BatchLogRecordProcessor({ exporter: new RedactingLogRecordExporter(new ConsoleLogRecordExporter(), redactor), ...batchOptions });
  }
  let metricExporter: PushMetricExporter | undefined;
  switch (describe('metrics')) {
    case 'otlp': {
      const otlp = r.protocol('metrics') === 'http/json' ? new OTLPMetricExporterJson(common('metrics')) : new OTLPMetricExporterProto(common('metrics'));
      otlp.selectAggregationTemporality = batchtelTemporalitySelector;
      metricExporter = withFallback(otlp);
      if (metricExporter !== otlp) metricExporter.selectAggregationTemporality = batchtelTemporalitySelector;
      break;
    }
    case 'console':
      metricExporter = new ConsoleMetricExporter({ temporalitySelector: batchtelTemporalitySelector });
  }

  const sampler = new ItemSpanSampler(options.itemSpanRatio, samplerFromEnv(env.sampler, env.samplerArg));
  const limits = limitsOf(env);
  const tracerProvider = new TracerProvider({
    resource,
    sampler,
    spanLimits: limits.spanLimits,
    idGenerator: new PresetIdGenerator(),
    spanProcessors: spanProcessor ? [new UntracedSpanProcessor(spanProcessor)] : [],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    logRecordLimits: limits.logRecordLimits,
    processors: logProcessor ? [new UntracedLogRecordProcessor(logProcessor)] : [],
  });
  const views: ViewOptions[] = options.exponentialHistograms
    ? [{ instrumentType: InstrumentType.HISTOGRAM, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }]
    : [];
  const meterProvider = new MeterProvider({
    resource,
    views,
    readers: metricExporter
      ? [
          new BoundedCumulativeReader({
            exporter: new RedactingMetricExporter(metricExporter, redactor),
            exportIntervalMillis: options.metricExportIntervalMillis ?? env.metricExportIntervalMillis ?? 10_000,
            exportTimeoutMillis: env.metricExportTimeoutMillis ?? 30_000,
            cardinalityLimit: options.cardinalityLimit,
            exponentialHistograms: options.exponentialHistograms,
          }),
        ]
      : [],
  });
  if (pipelines.length > 0 && metricExporter) deliveryMetrics = new DeliveryMetrics(meterProvider.getMeter(SCOPE_NAME, VERSION), pipelines);
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
    deliveryStats: () => pipelines.map(deliveryStats),
    forceFlush: () =>
      untraced(async () => {
        await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush(), meterProvider.forceFlush()]);
      }),
    shutdown: () => {
      shutdownPromise ??= untraced(async () => {
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
        undoGlobalContext();
      });
      return shutdownPromise;
    },
  };
  if (options.handleSignals) {
    for (const signal of signals) process.once(signal, onSignal);
    process.once('beforeExit', onBeforeExit);
  }
  return handle;
}
