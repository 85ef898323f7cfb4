/**
 * One export request, built as its records arrive. The protobuf builder
 * encodes each record when it is added, so a batch in memory is bytes, not
 * the SDK's span and log record objects.
 */
export interface RequestBuilder<T> {
  /** Records added since the last `take`. */
  readonly records: number;
  /** The bytes they take in the request (estimated where encoding waits for `take`). */
  readonly bytes: number;
  /** Adds one record; false when it cannot be encoded (nothing of it is kept). */
  add(item: T): boolean;
  /** The request for every record added, leaving the builder empty; undefined when it cannot be encoded. */
  take(): Uint8Array | undefined;
}
