/** A chunk failed on its final attempt, or for good: BullMQ keeps the message, the follower reads the type back from it. */
export class ChunkFailedError extends Error {
  override readonly name = 'ChunkFailedError';
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(`[${errorType}] ${message}`);
  }
}

/** The `error.type` a failed chunk's reason names ("[type] message"), for the follower. */
export function errorTypeOfReason(reason: string | undefined): string | undefined {
  const match = /^\[([^\]]{1,64})\] /.exec(reason ?? '');
  return match?.[1];
}
