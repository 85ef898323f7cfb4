import { ReportOnce } from './ReportOnce.js';

/**
 * Misuse after construction never throws into the user's loop: each kind of
 * problem is counted, and reported once through the sink (the instrumentation
 * layer wires it to the OpenTelemetry diagnostic logger).
 */
export type ProblemCode =
  | 'invalid_count'
  | 'invalid_duration'
  | 'invalid_value'
  | 'over_total'
  | 'call_after_finish'
  | 'finish_twice'
  | 'call_before_start'
  | 'callback_threw'
  | 'telemetry_failed'
  | 'error_type_overflow';

export type ProblemSink = (code: ProblemCode, message: string) => void;

export class Problems extends ReportOnce<ProblemCode> {
  /**
   * Runs `fn`; if it throws anyway (a hostile argument no check foresaw), the
   * caller gets `fallback` and the failure is reported, never thrown.
   */
  guard<T>(what: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (error) {
      let text: string;
      try {
        text = String(error).slice(0, 200);
      } catch {
        text = 'unprintable error';
      }
      this.report('invalid_value', `batchtel: ${what}() could not use its arguments (${text}; ignored)`);
      return fallback;
    }
  }
}
