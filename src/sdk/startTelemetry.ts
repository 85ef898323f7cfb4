import { diag, DiagConsoleLogger, metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { randomUUID } from 'node:crypto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { AggregationType, InstrumentType, MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { parseOptions } from './parseOptions.js';
import { SCOPE_NAME } from '../semconv.js';
import { VERSION } from '../version.js';
import { BoundedCumulativeReader } from './BoundedCumulativeReader.js';
import { readOtelEnv, type OtelEnv } from './env.js';
import { limitsOf, resolve, telemetrySetupSchema, type TelemetryHandle, type TelemetrySetup, type TelemetrySetupOptions } from './telemetrySetup.js';
import { ItemSpanSampler } from './ItemSpanSampler.js';
import { PresetIdGenerator } from './PresetIdGenerator.js';
import { samplerFromEnv } from './samplerFromEnv.js';
import { DeliveryMetrics } from './delivery/DeliveryMetrics.js';
import { createRedactor, type Redactor } from './redact.js';
import { RedactingMetricExporter } from './RedactingExporters.js';
import { registerGlobalContext } from './globalContext.js';
import { createSignalPipelines } from './signalPipelines.js';
import { createTelemetryHandle } from './telemetryHandle.js';
import { untraced } from './Untraced.js';

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
  const redactor = createRedactor(options.redactKeys);
  const resource = resourceOf(options, env, redactor);
  const signals = createSignalPipelines(options, resolve(options, env), redactor);
  const { spanProcessor, logProcessor, metricExporter, pipelines } = signals;
  const sampler = new ItemSpanSampler(options.itemSpanRatio, samplerFromEnv(env.sampler, env.samplerArg));
  const limits = limitsOf(env);
  const tracerProvider = new TracerProvider({
    resource,
    sampler,
    spanLimits: limits.spanLimits,
    idGenerator: new PresetIdGenerator(),
    spanProcessors: spanProcessor ? [spanProcessor] : [],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    logRecordLimits: limits.logRecordLimits,
    processors: logProcessor ? [logProcessor] : [],
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
  if (pipelines.length > 0 && metricExporter) signals.setDeliveryMetrics(new DeliveryMetrics(meterProvider.getMeter(SCOPE_NAME, VERSION), pipelines));
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return createTelemetryHandle({
    tracerProvider,
    loggerProvider,
    meterProvider,
    pipelines,
    destination: signals.destinations.join('; '),
    shutdownTimeoutMillis: options.shutdownTimeoutMillis,
    handleSignals: options.handleSignals,
    undoGlobalContext,
  });
}

/** The resource that goes out with every request: secrets in OTEL_RESOURCE_ATTRIBUTES are masked too. */
function resourceOf(options: TelemetrySetupOptions, env: OtelEnv, redactor: Redactor) {
  const attributes = Object.fromEntries(
    Object.entries({ ...env.resourceAttributes, ...options.resourceAttributes }).map(([key, value]) => [key, redactor.value(key, value)]),
  ) as Record<string, string | number | boolean>;
  return resourceFromAttributes({
    ...attributes,
    'service.name': options.serviceName ?? env.serviceName ?? env.resourceAttributes['service.name'] ?? 'unknown_service:node',
    // One per process, so the workers of a distributed run stay apart in Prometheus and traces.
    'service.instance.id': attributes['service.instance.id'] ?? randomUUID(),
    'telemetry.distro.name': 'batchtel',
    'telemetry.distro.version': VERSION,
  });
}
