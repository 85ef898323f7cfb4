/**
 * What a wrapped processor returns as the job's return value: the chunk's
 * counts. BullMQ stores it with the completed job and publishes it on the
 * queue's event stream, so the follower counts the chunk from Redis, once.
 */
export interface ChunkOutcome {
  /** Marks a batchtel chunk outcome among other return values. */
  readonly batchtel: 1;
  readonly runId: string;
  readonly chunk: number;
  readonly size: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly durationMs: number;
  /** Errors reported in the chunk, by `error.type`. */
  readonly errors?: Readonly<Record<string, number>>;
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly cost: number };
  /** Sum and count of the chunk's quality scores. */
  readonly quality?: { readonly sum: number; readonly count: number };
}

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);
const amount = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

/** A chunk outcome from a job's return value, or undefined when it is not one. Counts are clamped to the chunk's size. */
export function parseChunkOutcome(value: unknown): ChunkOutcome | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (o['batchtel'] !== 1 || typeof o['runId'] !== 'string') return undefined;
  const chunk = count(o['chunk']);
  const size = count(o['size']);
  if (chunk === undefined || size === undefined) return undefined;
  const failed = Math.min(count(o['failed']) ?? 0, size);
  const skipped = Math.min(count(o['skipped']) ?? 0, size - failed);
  const errors: Record<string, number> = {};
  if (typeof o['errors'] === 'object' && o['errors'] !== null) {
    for (const [type, n] of Object.entries(o['errors'] as Record<string, unknown>)) {
      const c = count(n);
      if (c !== undefined && c > 0) errors[type] = c;
    }
  }
  const u = (typeof o['usage'] === 'object' && o['usage'] !== null ? o['usage'] : {}) as Record<string, unknown>;
  const q = (typeof o['quality'] === 'object' && o['quality'] !== null ? o['quality'] : {}) as Record<string, unknown>;
  return {
    batchtel: 1,
    runId: o['runId'],
    chunk,
    size,
    succeeded: size - failed - skipped,
    failed,
    skipped,
    durationMs: amount(o['durationMs']),
    errors,
    usage: { inputTokens: amount(u['inputTokens']), outputTokens: amount(u['outputTokens']), cost: amount(u['cost']) },
    quality: { sum: amount(q['sum']), count: count(q['count']) ?? 0 },
  };
}
