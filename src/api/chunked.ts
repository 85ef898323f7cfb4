export interface ChunkSource<T> {
  next(): Promise<IteratorResult<T[]>>;
  /** Closes the source's iterator (`return()`) unless it ended by itself. Never throws, never waits on a pull that hangs. */
  close(): Promise<void>;
}

/** Chunks any iterable without materialising it; safe to share between workers. */
export function chunked<T>(items: Iterable<T> | AsyncIterable<T>, size: number): ChunkSource<T> {
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  /** Exhausted or failed: the iterator is done with, no return() owed. */
  let ended = false;
  let closed = false;
  let pulling = false;
  let pending: Promise<IteratorResult<T[]>> = Promise.resolve({ done: false, value: [] });
  const take = async (): Promise<IteratorResult<T[]>> => {
    if (ended || closed) return { done: true, value: undefined };
    const chunk: T[] = [];
    pulling = true;
    try {
      while (chunk.length < size && !closed) {
        let next: IteratorResult<T>;
        try {
          next = await iterator.next();
          if (next.done) {
            ended = true;
            break;
          }
        } catch (error) {
          ended = true;
          throw error;
        }
        chunk.push(next.value);
      }
    } finally {
      pulling = false;
    }
    return chunk.length > 0 ? { done: false, value: chunk } : { done: true, value: undefined };
  };
  return {
    // Serialised: concurrent workers must not interleave pulls from one iterator.
    next: () => (pending = pending.then(take, take)),
    async close() {
      if (ended || closed) return;
      closed = true;
      try {
        const release = (iterator as { return?: (this: unknown) => unknown }).return;
        if (typeof release !== 'function') return;
        const done = Promise.resolve(release.call(iterator));
        done.catch(() => {});
        // A pull still pending (a source that never yields again) would hold return() behind it: do not wait for that.
        if (!pulling) await done;
      } catch {
        // The source's own cleanup failing is not the run's failure.
      }
    },
  };
}
