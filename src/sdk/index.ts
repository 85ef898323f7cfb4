// Its declarations use Node types (process.env, node:http): TypeScript users load them with the entry.
/// <reference types="node" preserve="true" />
/**
 * batchtel/sdk: OpenTelemetry SDK setup for apps that have none.
 * (The instrumentation itself is in `batchtel` and needs only the API.)
 */
export { startTelemetry } from './startTelemetry.js';
export type { TelemetrySetup, TelemetryHandle } from './telemetrySetup.js';
export type { DeliveryStats } from './delivery/DeliveryMetrics.js';
export { batchtelTemporalitySelector } from './temporality.js';
export { BoundedCumulativeReader, type BoundedCumulativeReaderOptions } from './BoundedCumulativeReader.js';
export { createRedactor, DEFAULT_SECRET_KEYS, REDACTED, type Redactor } from './redact.js';
export { RedactingSpanExporter, RedactingLogRecordExporter, RedactingMetricExporter } from './RedactingExporters.js';
export { ItemSpanSampler } from './ItemSpanSampler.js';
