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
  metricExportTimeoutMillis?: number;
  /** OTEL_PROPAGATORS, known names only (`none` is the empty list); unset when the variable is. */
  propagators?: Propagator[];
  limits: AttributeLimits;
  /**
   * One sentence per malformed variable, naming it and what is wrong; the
   * value is ignored (the documented default applies). startTelemetry sends
   * each to the diag logger once: a bad variable never stops the app.
   */
  problems: string[];
}

export type Propagator = 'tracecontext' | 'baggage';

/** The attribute limits of the SDK specification's variables; unset means batchtel's default. */
export interface AttributeLimits {
  attributeValueLengthLimit?: number;
  attributeCountLimit?: number;
  spanAttributeValueLengthLimit?: number;
  spanAttributeCountLimit?: number;
  spanEventCountLimit?: number;
  spanLinkCountLimit?: number;
  logRecordAttributeValueLengthLimit?: number;
  logRecordAttributeCountLimit?: number;
}

const LIMIT_VARIABLES: ReadonlyArray<[string, keyof AttributeLimits]> = [
  ['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'attributeValueLengthLimit'],
  ['OTEL_ATTRIBUTE_COUNT_LIMIT', 'attributeCountLimit'],
  ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'spanAttributeValueLengthLimit'],
  ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'spanAttributeCountLimit'],
  ['OTEL_SPAN_EVENT_COUNT_LIMIT', 'spanEventCountLimit'],
  ['OTEL_SPAN_LINK_COUNT_LIMIT', 'spanLinkCountLimit'],
  ['OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'logRecordAttributeValueLengthLimit'],
  ['OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', 'logRecordAttributeCountLimit'],
];

const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** A header name as HTTP allows it (RFC 9110 token); a value without control characters. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex
export const HEADER_VALUE = /^[^\u0000-\u0008\u000a-\u001f\u007f]*$/;

/**
 * `key1=value1,key2=value2` with percent-encoded values (W3C Baggage octet
 * rules). Malformed pairs are skipped; `problem` hears about each.
 */
export function parseKeyValues(value: string | undefined, problem: (what: string) => void = () => {}, headers = false): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const index = pair.indexOf('=');
    const key = index < 0 ? '' : pair.slice(0, index).trim();
    if (!key) {
      problem(`"${pair.trim()}" is not key=value`);
      continue;
    }
    let raw = pair.slice(index + 1).trim();
    try {
      raw = decodeURIComponent(raw);
    } catch {
      problem(`the value of ${key} is not valid percent-encoding; kept as written`);
    }
    if (headers && !HEADER_NAME.test(key)) {
      problem(`"${key}" is not a valid HTTP header name; skipped`);
      continue;
    }
    if (headers && !HEADER_VALUE.test(raw)) {
      problem(`the value of ${key} holds control characters an HTTP header cannot carry; skipped`);
      continue;
    }
    out[key] = raw;
  }
  return out;
}

/** One problem sentence per variable, however many things are wrong in it. */
class Problems {
  readonly list: string[] = [];
  private readonly seen = new Set<string>();
  add(name: string, value: string, what: string): void {
    if (this.seen.has(name)) return;
    this.seen.add(name);
    this.list.push(`batchtel: ${name}=${JSON.stringify(value)} ignored: ${what}`);
  }
}

/** Reads and checks the standard `OTEL_*` variables as `startTelemetry` does; a malformed value is reported and its default applies. */
export function readOtelEnv(env: NodeJS.ProcessEnv = process.env): OtelEnv {
  const signals: Signal[] = ['traces', 'metrics', 'logs'];
  const upper = (s: Signal) => s.toUpperCase();
  const problems = new Problems();
  /** The trimmed value, or undefined when unset or blank. */
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], lower = false): T | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    const v = lower ? raw.toLowerCase() : raw;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.add(name, raw, `expected one of ${allowed.join(', ')}; the default is used`);
    return undefined;
  };
  const number = (name: string, what: string, ok: (n: number) => boolean): number | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (Number.isFinite(n) && ok(n)) return n;
    problems.add(name, raw, `expected ${what}; the default is used`);
    return undefined;
  };
  const millis = (name: string) => number(name, 'a whole number of milliseconds above 0', (n) => Number.isInteger(n) && n > 0);
  const endpoint = (name: string): string | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      // reported below
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return raw;
    problems.add(
      name,
      raw,
      `expected an http:// or https:// URL${url ? ` (the scheme is ${url.protocol})` : ' (a scheme and a host, such as http://collector:4318)'}; the default is used`,
    );
    return undefined;
  };
  const keyValues = (name: string, headers: boolean) => parseKeyValues(env[name], (what) => problems.add(name, env[name]!, what), headers);

  const result: OtelEnv = {
    resourceAttributes: keyValues('OTEL_RESOURCE_ATTRIBUTES', false),
    signalEndpoints: {},
    signalProtocols: {},
    headers: keyValues('OTEL_EXPORTER_OTLP_HEADERS', true),
    signalHeaders: {},
    signalTimeouts: {},
    signalCompression: {},
    exporters: {},
    sdkDisabled: oneOf('OTEL_SDK_DISABLED', ['true', 'false'], true) === 'true',
    limits: {},
    problems: problems.list,
  };
  const logLevel = oneOf('OTEL_LOG_LEVEL', Object.keys(LOG_LEVELS), true);
  if (logLevel !== undefined) result.logLevel = LOG_LEVELS[logLevel]!;
  const serviceName = get('OTEL_SERVICE_NAME');
  if (serviceName) result.serviceName = serviceName;
  const base = endpoint('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base) result.endpoint = base;
  const protocols = ['http/protobuf', 'http/json'] as const;
  const compressions = ['gzip', 'none'] as const;
  const exporters = ['otlp', 'console', 'none'] as const;
  const p = oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', protocols);
  if (p) result.protocol = p;
  const timeout = millis('OTEL_EXPORTER_OTLP_TIMEOUT');
  if (timeout !== undefined) result.timeoutMillis = timeout;
  const compression = oneOf('OTEL_EXPORTER_OTLP_COMPRESSION', compressions);
  if (compression) result.compression = compression;
  for (const signal of signals) {
    const e = endpoint(`OTEL_EXPORTER_OTLP_${upper(signal)}_ENDPOINT`);
    if (e) result.signalEndpoints[signal] = e;
    const sp = oneOf(`OTEL_EXPORTER_OTLP_${upper(signal)}_PROTOCOL`, protocols);
    if (sp) result.signalProtocols[signal] = sp;
    // A list is allowed; batchtel sends each signal one way, the first named.
    const exporterName = `OTEL_${upper(signal)}_EXPORTER`;
    const first = get(exporterName)?.split(',')[0]?.trim();
    if (first !== undefined) {
      if ((exporters as readonly string[]).includes(first)) result.exporters[signal] = first as ExporterChoice;
      else problems.add(exporterName, get(exporterName)!, `expected ${exporters.join(', ')}; otlp is used`);
    }
    const headersName = `OTEL_EXPORTER_OTLP_${upper(signal)}_HEADERS`;
    if (get(headersName)) result.signalHeaders[signal] = keyValues(headersName, true);
    const t = millis(`OTEL_EXPORTER_OTLP_${upper(signal)}_TIMEOUT`);
    if (t !== undefined) result.signalTimeouts[signal] = t;
    const c = oneOf(`OTEL_EXPORTER_OTLP_${upper(signal)}_COMPRESSION`, compressions);
    if (c) result.signalCompression[signal] = c;
  }
  const sampler = get('OTEL_TRACES_SAMPLER');
  if (sampler) result.sampler = sampler;
  // The range is the sampler's to check: it knows which samplers take a ratio.
  const arg = number('OTEL_TRACES_SAMPLER_ARG', 'a number', () => true);
  if (arg !== undefined) result.samplerArg = arg;
  const interval = millis('OTEL_METRIC_EXPORT_INTERVAL');
  if (interval !== undefined) result.metricExportIntervalMillis = interval;
  const exportTimeout = millis('OTEL_METRIC_EXPORT_TIMEOUT');
  if (exportTimeout !== undefined) result.metricExportTimeoutMillis = exportTimeout;
  for (const [name, field] of LIMIT_VARIABLES) {
    const n = number(name, 'a whole number 0 or above', (v) => Number.isInteger(v) && v >= 0);
    if (n !== undefined) result.limits[field] = n;
  }
  const propagators = get('OTEL_PROPAGATORS');
  if (propagators !== undefined) {
    const names = propagators
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter((n) => n.length > 0);
    const unknown = names.filter((n) => n !== 'tracecontext' && n !== 'baggage' && n !== 'none');
    if (unknown.length > 0)
      problems.add('OTEL_PROPAGATORS', propagators, `${unknown.join(', ')} not supported here (tracecontext, baggage, none); the others are used`);
    result.propagators = names.includes('none') ? [] : [...new Set(names.filter((n): n is Propagator => n === 'tracecontext' || n === 'baggage'))];
  }
  return result;
}
