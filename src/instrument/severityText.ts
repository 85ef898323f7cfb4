import { SeverityNumber } from '@opentelemetry/api-logs';

/** The `severityText` of the log records batchtel emits, by severity number. */
export const SEVERITY_TEXT: Partial<Record<SeverityNumber, string>> = {
  [SeverityNumber.INFO]: 'INFO',
  [SeverityNumber.WARN]: 'WARN',
  [SeverityNumber.ERROR]: 'ERROR',
};
