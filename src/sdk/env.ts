import { DiagLogLevel } from '@opentelemetry/api';

/**
 * The standard OTEL_* environment variables, read as the SDK specification
 * defines them. Programmatic options given to startTelemetry win over these.
 */
export type Signal = 'traces' | 'metrics' | 'logs';
export type Protocol = 'http/protobuf' | 'http/json';
export type ExporterChoice = 'otlp' | 'console' | 'none';

export interface OtelEnv {
  serviceName?: string;
  resourceAttributes: Record<string, string>;
  /** Base endpoint: `/v1/<signal>` is appended. */
  endpoint?: string;
  /** Per-signal endpoints are used as given. */
  signalEndpoints: Partial<Record<Signal, string>>;
  protocol?: Protocol;
  signalProtocols: Partial<Record<Signal, Protocol>>;
  headers: Record<string, string>;
  /** OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS: added to (and over) the common ones. */
  signalHeaders: Partial<Record<Signal, Record<string, string>>>;
  timeoutMillis?: number;
  signalTimeouts: Partial<Record<Signal, number>>;
  compression?: 'gzip' | 'none';
  signalCompression: Partial<Record<Signal, 'gzip' | 'none'>>;
  exporters: Partial<Record<Signal, ExporterChoice>>;
  sampler?: string;
  samplerArg?: number;
  metricExportIntervalMillis?: number;
  /** OTEL_SDK_DISABLED=true: a no-op setup. */
  sdkDisabled: boolean;
  /** OTEL_LOG_LEVEL: the SDK's own (diag) logging. */
  logLevel?: DiagLogLevel;
}

const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** `key1=value1,key2=value2` with percent-encoded values (W3C Baggage octet rules). */
export function parseKeyValues(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  for (const pair of value.split(',')) {
    const index = pair.indexOf('=');
    if (index <= 0) continue;
    const key = pair.slice(0, index).trim();
    let raw = pair.slice(index + 1).trim();
    try {
      raw = decodeURIComponent(raw);
    } catch {
      // keep the raw value
    }
    if (key) out[key] = raw;
  }
  return out;
}

const number = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

const protocol = (value: string | undefined): Protocol | undefined =>
  value === 'http/protobuf' || value === 'http/json' ? value : undefined;

const compressionOf = (value: string | undefined): 'gzip' | 'none' | undefined => {
  const v = value?.trim();
  return v === 'gzip' || v === 'none' ? v : undefined;
};

const exporter = (value: string | undefined): ExporterChoice | undefined => {
  const first = value?.split(',')[0]?.trim();
  return first === 'otlp' || first === 'console' || first === 'none' ? first : undefined;
};

export function readOtelEnv(env: NodeJS.ProcessEnv = process.env): OtelEnv {
  const signals: Signal[] = ['traces', 'metrics', 'logs'];
  const upper = (s: Signal) => s.toUpperCase();
  const result: OtelEnv = {
    resourceAttributes: parseKeyValues(env['OTEL_RESOURCE_ATTRIBUTES']),
    signalEndpoints: {},
    signalProtocols: {},
    headers: parseKeyValues(env['OTEL_EXPORTER_OTLP_HEADERS']),
    signalHeaders: {},
    signalTimeouts: {},
    signalCompression: {},
    exporters: {},
    sdkDisabled: env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true',
  };
  const logLevel = LOG_LEVELS[env['OTEL_LOG_LEVEL']?.trim().toLowerCase() ?? ''];
  if (logLevel !== undefined) result.logLevel = logLevel;
  const serviceName = env['OTEL_SERVICE_NAME']?.trim();
  if (serviceName) result.serviceName = serviceName;
  const endpoint = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  if (endpoint) result.endpoint = endpoint;
  const p = protocol(env['OTEL_EXPORTER_OTLP_PROTOCOL']?.trim());
  if (p) result.protocol = p;
  const timeout = number(env['OTEL_EXPORTER_OTLP_TIMEOUT']);
  if (timeout !== undefined) result.timeoutMillis = timeout;
  const compression = compressionOf(env['OTEL_EXPORTER_OTLP_COMPRESSION']);
  if (compression) result.compression = compression;
  for (const signal of signals) {
    const e = env[`OTEL_EXPORTER_OTLP_${upper(signal)}_ENDPOINT`]?.trim();
    if (e) result.signalEndpoints[signal] = e;
    const sp = protocol(env[`OTEL_EXPORTER_OTLP_${upper(signal)}_PROTOCOL`]?.trim());
    if (sp) result.signalProtocols[signal] = sp;
    const choice = exporter(env[`OTEL_${upper(signal)}_EXPORTER`]);
    if (choice) result.exporters[signal] = choice;
    const headers = env[`OTEL_EXPORTER_OTLP_${upper(signal)}_HEADERS`];
    if (headers) result.signalHeaders[signal] = parseKeyValues(headers);
    const timeout = number(env[`OTEL_EXPORTER_OTLP_${upper(signal)}_TIMEOUT`]);
    if (timeout !== undefined) result.signalTimeouts[signal] = timeout;
    const c = compressionOf(env[`OTEL_EXPORTER_OTLP_${upper(signal)}_COMPRESSION`]);
    if (c) result.signalCompression[signal] = c;
  }
  const sampler = env['OTEL_TRACES_SAMPLER']?.trim();
  if (sampler) result.sampler = sampler;
  const arg = number(env['OTEL_TRACES_SAMPLER_ARG']);
  if (arg !== undefined) result.samplerArg = arg;
  const interval = number(env['OTEL_METRIC_EXPORT_INTERVAL']);
  if (interval !== undefined) result.metricExportIntervalMillis = interval;
  return result;
}
