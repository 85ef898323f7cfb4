import type { Clock } from '../core/clock.js';

/**
 * A token bucket: `capacity` requests at once, refilled at `refillPerSecond`.
 * The clock is injected so tests move time by hand.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.updatedAt = clock.now();
  }

  /** Takes one token; returns 0 when granted, else the milliseconds until one is available. */
  take(): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.refillPerSecond) / 1000);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    if (this.refillPerSecond <= 0) return Number.POSITIVE_INFINITY;
    return Math.ceil(((1 - this.tokens) * 1000) / this.refillPerSecond);
  }
}
