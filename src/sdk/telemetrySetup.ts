import { z } from 'zod';
import type { DeliveryStats } from './delivery/DeliveryMetrics.js';
import { HEADER_NAME, HEADER_VALUE, readOtelEnv, type ExporterChoice, type OtelEnv, type Protocol, type Signal } from './env.js';

/**
 * What startTelemetry is given and what it settles on: its options (checked
 * with zod at the call), the attribute limits, and each signal's endpoint,
 * protocol, headers and timeout from code, the OTEL_* variables and defaults.
 */

const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';

/**
 * Attribute limits unless OTEL_*_LIMIT variables say otherwise: a string
 * attribute value is cut to this many characters, so one record cannot stall
 * the event loop when it is masked and encoded (the SDK's default is no limit).
 */
export const DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 16 * 1024;
export const DEFAULT_ATTRIBUTE_COUNT_LIMIT = 128;

export function limitsOf(env: OtelEnv) {
  const l = env.limits;
  const valueLength = l.attributeValueLengthLimit ?? DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT;
  const count = l.attributeCountLimit ?? DEFAULT_ATTRIBUTE_COUNT_LIMIT;
  return {
    spanLimits: {
      attributeValueLengthLimit: l.spanAttributeValueLengthLimit ?? valueLength,
      attributeCountLimit: l.spanAttributeCountLimit ?? count,
      ...(l.spanEventCountLimit === undefined ? {} : { eventCountLimit: l.spanEventCountLimit }),
      ...(l.spanLinkCountLimit === undefined ? {} : { linkCountLimit: l.spanLinkCountLimit }),
    },
    logRecordLimits: {
      attributeValueLengthLimit: l.logRecordAttributeValueLengthLimit ?? valueLength,
      attributeCountLimit: l.logRecordAttributeCountLimit ?? count,
    },
  };
}

const exporterChoice = z.enum(['otlp', 'console', 'none']);

export const telemetrySetupSchema = z.strictObject({
  /** `service.name`; else OTEL_SERVICE_NAME; else `unknown_service:node`. */
  serviceName: z.string().min(1).optional(),
  /** OTLP/HTTP base URL (`/v1/<signal>` is appended); else OTEL_EXPORTER_OTLP_ENDPOINT; else 127.0.0.1:4318 with a local fallback. */
  endpoint: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  protocol: z.enum(['http/protobuf', 'http/json']).optional(),
  headers: z
    .record(z.string().regex(HEADER_NAME, 'an HTTP header name'), z.string().regex(HEADER_VALUE, 'a header value without control characters'))
    .optional(),
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
  /** Spans and log records are written here before they are sent, and wait here while the endpoint fails. */
  spoolDir: z.string().default('.batchtel/spool'),
  /** Spool size limit; past it the oldest requests are evicted (counted). */
  maxSpoolBytes: z
    .number()
    .int()
    .min(1024)
    .default(256 * 1024 * 1024),
  /** fsync every spool write: survives a machine crash too, at about 1 ms per request (a process crash is covered without it). */
  spoolFsync: z.boolean().default(false),
  /** Spans and logs are on disk at least this often: what a crash (SIGKILL) can lose. */
  syncIntervalMillis: z.number().int().min(10).default(1000),
  /** Errors and high-priority events are sent within this delay instead of the sync interval. */
  priorityFlushMillis: z.number().int().min(0).default(50),
  /** Records per export request. */
  maxExportBatchSize: z.number().int().min(1).default(2048),
  /** Export requests in flight at once per signal while the endpoint answers. */
  exportConcurrency: z.number().int().min(1).max(64).default(4),
  /** Longest wait between retries of a failing endpoint (429, 502, 503, 504, connection); Retry-After may ask for more. */
  maxBackoffMillis: z.number().int().min(10).default(30_000),
  /** Flush and shut down on SIGTERM, SIGINT and beforeExit. */
  handleSignals: z.boolean().default(true),
  shutdownTimeoutMillis: z.number().int().min(100).default(5000),
});

/** Options of `startTelemetry`; each defaults to its `OTEL_*` variable, then to the value in the docs. */
export type TelemetrySetup = z.input<typeof telemetrySetupSchema>;
/** The setup with its defaults applied. */
export type TelemetrySetupOptions = z.output<typeof telemetrySetupSchema>;

/** What `startTelemetry` returns: where the signals go, the delivery accounting, flush and shutdown. */
export interface TelemetryHandle {
  /** Where each signal goes, in words, for a startup line. */
  readonly destination: string;
  /** Where the spans and log records handed to durable delivery went, per signal sent over OTLP. */
  deliveryStats(): DeliveryStats[];
  /** Sends what is buffered now (spans, log records, metrics). */
  forceFlush(): Promise<void>;
  /** Flushes and shuts down once; later calls return the same promise. */
  shutdown(): Promise<void>;
}

export interface Resolved {
  url: (signal: Signal) => string;
  protocol: (signal: Signal) => Protocol;
  choice: (signal: Signal) => ExporterChoice;
  /** No endpoint configured for this signal: the local default, with the local folder behind it. */
  implicit: (signal: Signal) => boolean;
  headers: (signal: Signal) => Record<string, string>;
  timeoutMillis: (signal: Signal) => number;
  gzip: (signal: Signal) => boolean;
}

export function resolve(options: TelemetrySetupOptions, env = readOtelEnv()): Resolved {
  const base = (options.endpoint ?? env.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const implicit = (signal: Signal) => !options.endpoint && !env.endpoint && !env.signalEndpoints[signal];
  // Code wins over the signal's variable, which wins over the common one.
  return {
    url: (signal) => (options.endpoint ? `${base}/v1/${signal}` : (env.signalEndpoints[signal] ?? `${base}/v1/${signal}`)),
    // The implicit local default speaks JSON unless told otherwise: what no collector takes then goes to
    // the local folder as the very requests, in the form the collector ingests later.
    protocol: (signal) => options.protocol ?? env.signalProtocols[signal] ?? env.protocol ?? (implicit(signal) ? 'http/json' : 'http/protobuf'),
    choice: (signal) => options[signal] ?? env.exporters[signal] ?? 'otlp',
    implicit,
    headers: (signal) => ({ ...env.headers, ...env.signalHeaders[signal], ...options.headers }),
    // The implicit local default should fail over quickly rather than retry for the full timeout.
    timeoutMillis: (signal) => options.timeoutMillis ?? env.signalTimeouts[signal] ?? env.timeoutMillis ?? (implicit(signal) ? 2000 : 10_000),
    gzip: (signal) => (options.compression ?? env.signalCompression[signal] ?? env.compression ?? 'gzip') === 'gzip',
  };
}
