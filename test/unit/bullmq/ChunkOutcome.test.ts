import { describe, expect, it } from 'vitest';
import { parseChunkOutcome } from '../../../src/bullmq/ChunkOutcome.js';
import { errorTypeOfReason, ChunkFailedError } from '../../../src/bullmq/ChunkFailedError.js';

describe('parseChunkOutcome', () => {
  it('keeps counts that add up to the chunk size', () => {
    const o = parseChunkOutcome({ batchtel: 1, runId: 'r', chunk: 2, size: 50, succeeded: 1, failed: 3, skipped: 2, durationMs: 12, errors: { TypeError: 3 } });
    expect(o).toMatchObject({ chunk: 2, size: 50, succeeded: 45, failed: 3, skipped: 2, durationMs: 12, errors: { TypeError: 3 } });
  });

  it('clamps counts to the size and ignores bad values', () => {
    const o = parseChunkOutcome({ batchtel: 1, runId: 'r', chunk: 0, size: 10, failed: 99, skipped: 5, durationMs: -1, errors: { x: -2, y: 'a' } });
    expect(o).toMatchObject({ succeeded: 0, failed: 10, skipped: 0, durationMs: 0, errors: {} });
  });

  it('is undefined for return values that are not chunk outcomes', () => {
    expect(parseChunkOutcome(undefined)).toBeUndefined();
    expect(parseChunkOutcome({ runId: 'r', chunk: 0, size: 1 })).toBeUndefined();
    expect(parseChunkOutcome({ batchtel: 1, runId: 'r', chunk: 0.5, size: 1 })).toBeUndefined();
  });

  it('a failed chunk carries its error.type in the reason BullMQ keeps', () => {
    const error = new ChunkFailedError('503', 'upstream unavailable');
    expect(errorTypeOfReason(error.message)).toBe('503');
    expect(errorTypeOfReason('job stalled more than allowable limit')).toBeUndefined();
  });
});
