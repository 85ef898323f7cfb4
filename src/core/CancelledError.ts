/** The reason a run's signal carries when it is cancelled. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}
