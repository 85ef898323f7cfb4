import { LIMITS, safeText } from './limits.js';
import type { Problems } from './problems.js';
import type { ItemStatus } from './runTypes.js';

const ITEM_STATUSES: ReadonlySet<ItemStatus> = new Set(['pending', 'processing', 'completed', 'failed', 'skipped']);

/**
 * Checks of what callers hand a run after construction: a bad value is
 * reported once through `problems` and read as a harmless one, never thrown.
 */

export function validCount(problems: Problems, n: number): number {
  if (typeof n === 'number' && n >= 0 && n <= Number.MAX_SAFE_INTEGER && n === Math.floor(n)) return n;
  problems.report('invalid_count', `batchtel: item count must be a whole number >= 0, got ${safeText(n, 40)} (counted as 0)`);
  return 0;
}

/** Amounts beyond LIMITS.amount are refused too: sums exported as counters must stay finite. */
export function validAmount(problems: Problems, value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && value >= 0 && value <= LIMITS.amount) return value;
  problems.report('invalid_value', `batchtel: ${field} must be a number from 0 to ${LIMITS.amount}, got ${safeText(value, 40)} (ignored)`);
  return 0;
}

export function badOutcome(problems: Problems, outcome: unknown): void {
  problems.report('invalid_value', `batchtel: item outcome must be success, failure or skipped, got ${safeText(outcome, 40)} (ignored)`);
}

/**
 * The named fields of an options object, each read once without trusting it
 * (own or inherited, so class instances with getters work): undefined is no
 * options, anything that is not an object or cannot be read is reported and
 * read as none.
 */
export function readOptions(problems: Problems, options: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    problems.report('invalid_value', `batchtel: ${what} options must be an object, got ${safeText(options, 40)} (ignored)`);
    return {};
  }
  try {
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = (options as Record<string, unknown>)[key];
    return out;
  } catch (error) {
    problems.report('invalid_value', `batchtel: ${what} options could not be read (${safeText(error, 120)}; ignored)`);
    return {};
  }
}

export interface ItemUpdate {
  status?: ItemStatus;
  progress?: number;
  stage?: string;
  stageProgress?: number;
}

/** An item update as `updateItem` may apply it: each bad field reported and left out. */
export function readItemUpdate(problems: Problems, rawUpdate: unknown): ItemUpdate {
  const u = readOptions(problems, rawUpdate, 'item update', ['status', 'progress', 'stage', 'stageProgress']);
  const update: ItemUpdate = {};
  if (u['status'] !== undefined) {
    if (ITEM_STATUSES.has(u['status'] as ItemStatus)) update.status = u['status'] as ItemStatus;
    else problems.report('invalid_value', `batchtel: item status must be one of ${[...ITEM_STATUSES].join(', ')}, got ${safeText(u['status'], 40)} (ignored)`);
  }
  if (u['progress'] !== undefined) {
    const progress = typeof u['progress'] === 'number' ? u['progress'] : Number.NaN;
    if (progress >= 0 && progress <= 100) update.progress = progress;
    else problems.report('invalid_value', `batchtel: item progress must be within 0..100, got ${safeText(u['progress'], 40)} (ignored)`);
  }
  if (u['stage'] !== undefined) update.stage = safeText(u['stage'], LIMITS.itemId);
  if (typeof u['stageProgress'] === 'number' && Number.isFinite(u['stageProgress'])) update.stageProgress = u['stageProgress'];
  return update;
}
