/**
 * The demo's telemetry: OTLP/HTTP (protobuf) to a collector when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set or one listens on 127.0.0.1:4318;
 * otherwise nothing leaves the process, and the demo says so.
 */
import { connect } from 'node:net';
import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { batchtelTemporalitySelector } from '../src/sdk/temporality.js';

const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';

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

export async function startDemoTelemetry(): Promise<{ destination: string; shutdown(): Promise<void> }> {
  const configured = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const endpoint = (configured ?? DEFAULT_ENDPOINT).replace(/\/$/, '');
  if (!(await reachable(endpoint))) {
    return {
      destination: `nowhere: no OpenTelemetry Collector at ${endpoint} (start one with docker compose up, or set OTEL_EXPORTER_OTLP_ENDPOINT)`,
      shutdown: async () => {},
    };
  }
  const resource = resourceFromAttributes({ 'service.name': 'batchtel-demo' });
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) })] });
  const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }) })] });
  const metricExporter = new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` });
  metricExporter.selectAggregationTemporality = batchtelTemporalitySelector;
  const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 5000 })] });
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
