import type { RequestBuilder } from './RequestBuilder.js';

/** Keeps the records and encodes them all in `take` (for encoders that only take a whole batch, like OTLP JSON). */
export class DeferredRequestBuilder<T> implements RequestBuilder<T> {
  private items: T[] = [];
  private size = 0;

  constructor(
    private readonly encode: (items: T[]) => Uint8Array | undefined,
    /** A record's approximate encoded size. */
    private readonly sizeOf: (item: T) => number,
  ) {}

  get records(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.size;
  }

  add(item: T): boolean {
    this.items.push(item);
    this.size += this.sizeOf(item);
    return true;
  }

  take(): Uint8Array | undefined {
    const items = this.items;
    this.items = [];
    this.size = 0;
    try {
      return this.encode(items);
    } catch {
      return undefined;
    }
  }
}
