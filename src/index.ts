/**
 * batchtel: batch loops as OpenTelemetry spans, metrics and log events.
 * This entry depends on the OpenTelemetry API only and installs nothing global;
 * `batchtel/sdk` sets up an SDK for apps that have none.
 */
export { createBatchProgress, type BatchProgress, type BatchProgressOptions } from './api/createBatchProgress.js';
export { trackBatch, BatchRun, type ChunkHandler, type ChunkContext, type ChunkResult } from './api/trackBatch.js';
export type { BatchStats, DurationStats } from './api/BatchStats.js';
export {
  ProgressTracker,
  type ProgressTrackerOptions,
  type ProgressTrackingConfig,
  type ProgressMetrics,
  type ProgressCallbacks,
  type ETACalculation,
  type ETAFactors,
  type ThroughputDataPoint,
  type TrackingMode,
} from './api/ProgressTracker.js';
export type {
  AlertOptionsInput as AlertOptions,
  RunOptionsInput as BatchOptions,
  ProcessOptionsInput as ProcessOptions,
  TelemetryOptionsInput as TelemetryOptions,
} from './api/options.js';
export { createEvents, type Events, type EventOptions, type EventsStats } from './events/createEvents.js';
export type { EventsOptionsInput as EventsOptions } from './events/options.js';
export type { EventProblemCode } from './events/EventProblems.js';
export { ManualClock, systemClock, type Clock } from './core/clock.js';
export { classifyError, parseRetryAfter, type ClassifyOptions, type ErrorInfo } from './core/errors.js';
export type { Alert, AlertSeverity } from './core/alert.js';
export type { RunStatus, ItemStatus } from './core/runTypes.js';
export { RunRegistry, defaultRegistry, type RegistryEvent, type RunRegistryOptions } from './core/RunRegistry.js';
export type { RunView } from './core/RunView.js';
export type { BatchRunResult, BatchItemOutcome, BatchAlertGroup, BatchEventPriority } from './semconv.js';
