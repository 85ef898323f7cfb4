/**
 * Write position and fill of a fixed-size ring. The values live in the
 * caller's typed arrays, so parallel arrays (times and rates, say) share one
 * cursor and nothing is allocated per value.
 */
export class RingCursor {
  private head = 0;
  private filled = 0;

  constructor(readonly capacity: number) {}

  /** How many slots hold a value (at most `capacity`). */
  get count(): number {
    return this.filled;
  }

  get full(): boolean {
    return this.filled === this.capacity;
  }

  /** The slot to write next, which is the oldest one once the ring is full; the cursor moves past it. */
  advance(): number {
    const slot = this.head;
    this.head = (slot + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    return slot;
  }

  /** The slot of the i-th stored value, oldest first (0 ≤ i < count). */
  slot(i: number): number {
    return (this.head - this.filled + i + this.capacity) % this.capacity;
  }
}
