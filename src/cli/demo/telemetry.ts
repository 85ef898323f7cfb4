/**
 * The demo's telemetry, in one place so it can switch to `batchtel/sdk`'s
 * `startTelemetry` once that lands: it is used when present (collector when
 * one answers, the local spool otherwise). Until then: OTLP/HTTP (protobuf) to
 * a collector when OTEL_EXPORTER_OTLP_ENDPOINT is set or one listens on
 * 127.0.0.1:4318, else nothing leaves the process, and the demo says so.
 */
import { connect } from 'node:net';

export interface DemoTelemetry {
  /** Where telemetry goes, for people. */
  readonly destination: string;
  shutdown(): Promise<void>;
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';

export async function startDemoTelemetry(serviceName = 'batchtel-demo'): Promise<DemoTelemetry> {
  const fromSdk = await trySdk(serviceName);
  if (fromSdk) return fromSdk;
  const configured = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const endpoint = (configured ?? DEFAULT_ENDPOINT).replace(/\/$/, '');
  if (!(await reachable(endpoint))) {
    return {
      destination: `nowhere: no OpenTelemetry Collector at ${endpoint} (start one, or set OTEL_EXPORTER_OTLP_ENDPOINT); the board still shows everything`,
      shutdown: async () => {},
    };
  }
  try {
    return await otlp(endpoint, serviceName);
  } catch (error) {
    return { destination: `nowhere: the OpenTelemetry SDK packages are not installed (${String(error)})`, shutdown: async () => {} };
  }
}

/** `startTelemetry` from batchtel/sdk, when that module has it. */
async function trySdk(serviceName: string): Promise<DemoTelemetry | undefined> {
  const sdk = (await import('../../sdk/index.js')) as Record<string, unknown>;
  const start = sdk['startTelemetry'];
  if (typeof start !== 'function') return undefined;
  try {
    const handle = (await start({ serviceName })) as { shutdown?: () => Promise<void>; destination?: unknown; describe?: () => string } | undefined;
    const destination = typeof handle?.destination === 'string' ? handle.destination : typeof handle?.describe === 'function' ? handle.describe() : 'batchtel/sdk startTelemetry (collector or local spool)';
    return { destination, shutdown: async () => handle?.shutdown?.() };
  } catch (error) {
    process.stderr.write(`batchtel demo: startTelemetry failed (${String(error)}); using the built-in exporter setup\n`);
    return undefined;
  }
}

function reachable(url: string, timeoutMs = 300): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 80) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function otlp(endpoint: string, serviceName: string): Promise<DemoTelemetry> {
  // Imported on demand: the CLI loads without the SDK packages.
  const [{ metrics, trace }, { logs }, logExp, metricExp, traceExp, { resourceFromAttributes }, sdkLogs, sdkMetrics, sdkTrace, { batchtelTemporalitySelector }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/api-logs'),
    import('@opentelemetry/exporter-logs-otlp-proto'),
    import('@opentelemetry/exporter-metrics-otlp-proto'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-logs'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/sdk-trace'),
    import('../../sdk/temporality.js'),
  ]);
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  const tracerProvider = new sdkTrace.TracerProvider({ resource, spanProcessors: [new sdkTrace.BatchSpanProcessor({ exporter: new traceExp.OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) })] });
  const loggerProvider = new sdkLogs.LoggerProvider({ resource, processors: [new sdkLogs.BatchLogRecordProcessor({ exporter: new logExp.OTLPLogExporter({ url: `${endpoint}/v1/logs` }) })] });
  const metricExporter = new metricExp.OTLPMetricExporter({ url: `${endpoint}/v1/metrics` });
  metricExporter.selectAggregationTemporality = batchtelTemporalitySelector;
  const meterProvider = new sdkMetrics.MeterProvider({ resource, readers: [new sdkMetrics.PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 5000 })] });
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    destination: `OpenTelemetry Collector at ${endpoint} (OTLP/HTTP protobuf)`,
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
