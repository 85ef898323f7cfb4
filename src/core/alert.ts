import type { BatchAlertGroup } from '../semconv.js';

/** How urgent an alert is, as the `severity` label of the alert rules. */
export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';

/** One alert episode: raised once when its condition starts holding, resolved once when it clears. */
export interface Alert {
  readonly id: string;
  readonly group: BatchAlertGroup;
  readonly severity: AlertSeverity;
  state: 'firing' | 'resolved';
  readonly message: string;
  /** The measured value that crossed the threshold (ratio, factor, count, ms...). */
  readonly value: number;
  readonly threshold: number;
  readonly raisedAtMs: number;
  resolvedAtMs: number | undefined;
}

/** A new episode, firing from `raisedAtMs`. */
export function firingAlert(alert: Omit<Alert, 'state' | 'resolvedAtMs'>): Alert {
  const { id, group, severity, message, value, threshold, raisedAtMs } = alert;
  return { id, group, severity, state: 'firing', message, value, threshold, raisedAtMs, resolvedAtMs: undefined };
}
