import { diag } from '@opentelemetry/api';
import { ReportOnce } from '../core/ReportOnce.js';

/** Kinds of bad input or failure `createEvents` counts in `stats().problems`. */
export type EventProblemCode = 'invalid_name' | 'invalid_priority' | 'invalid_attributes' | 'invalid_value' | 'series_overflow' | 'telemetry_failed';

/**
 * What `event()` does with bad input instead of throwing: each kind is
 * counted, and reported once through the OpenTelemetry diagnostic logger
 * (the pattern of src/core/problems.ts, with the events API's own codes).
 */
export class EventProblems extends ReportOnce<EventProblemCode> {
  constructor() {
    super((code, message) => diag.warn(`batchtel events: ${message} [${code}; further occurrences are counted, not logged]`));
  }
}
