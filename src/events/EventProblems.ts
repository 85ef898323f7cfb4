import { diag } from '@opentelemetry/api';

/** Kinds of bad input or failure `createEvents` counts in `stats().problems`. */
export type EventProblemCode =
  | 'invalid_name'
  | 'invalid_priority'
  | 'invalid_attributes'
  | 'invalid_value'
  | 'series_overflow'
  | 'telemetry_failed';

/**
 * What `event()` does with bad input instead of throwing: each kind is
 * counted, and reported once through the OpenTelemetry diagnostic logger
 * (the pattern of src/core/problems.ts, with the events API's own codes).
 */
export class EventProblems {
  private readonly counts = new Map<EventProblemCode, number>();

  report(code: EventProblemCode, message: string): void {
    const seen = this.counts.get(code) ?? 0;
    this.counts.set(code, seen + 1);
    if (seen === 0) {
      try {
        diag.warn(`batchtel events: ${message} [${code}; further occurrences are counted, not logged]`);
      } catch {
        // A broken diagnostic logger must not break the caller either.
      }
    }
  }

  count(code: EventProblemCode): number {
    return this.counts.get(code) ?? 0;
  }

  toJSON(): Partial<Record<EventProblemCode, number>> {
    return Object.fromEntries(this.counts);
  }
}
