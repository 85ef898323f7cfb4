/**
 * batchtel/sdk: OpenTelemetry SDK setup for apps that have none.
 * (The instrumentation itself is in `batchtel` and needs only the API.)
 */
export { batchtelTemporalitySelector } from './temporality.js';
