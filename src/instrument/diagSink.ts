import { diag } from '@opentelemetry/api';
import type { ProblemSink } from '../core/problems.js';

/** Misuse goes to the OpenTelemetry diagnostic logger, where SDK users already look. */
export const diagSink: ProblemSink = (code, message) => {
  diag.warn(`${message} [${code}; further occurrences are counted, not logged]`);
};
