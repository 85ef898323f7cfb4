/**
 * A fake remote API with the behaviour batch loops meet in production: a rate
 * limit answered with 429 and Retry-After, transient 503s, and a slowdown part
 * way through. Deterministic for a given `randomSeed`.
 */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
  ) {
    super(status === 429 ? 'Too Many Requests' : status === 401 ? 'Unauthorized: API key revoked' : `Service Unavailable (${status})`);
  }
}

export interface FakeApiOptions {
  /** Requests allowed per window before 429s. */
  readonly limit: number;
  readonly windowMs: number;
  /** Chance of a transient 503 per request. */
  readonly flakiness: number;
  /** Base latency per item, ms. */
  readonly msPerItem: number;
  /** After this many calls, latency doubles (a degraded dependency). */
  readonly slowdownAfter: number;
  readonly randomSeed: number;
  /** After this many calls every call fails with 401 (a revoked key): not worth retrying. */
  readonly revokedAfter?: number;
}

export class FakeApi {
  private calls = 0;
  private windowStart = Date.now();
  private inWindow = 0;
  private state: number;

  constructor(private readonly options: FakeApiOptions) {
    this.state = options.randomSeed >>> 0;
  }

  async send<T>(items: T[], signal?: AbortSignal): Promise<{ accepted: number; quality: number }> {
    const now = Date.now();
    if (now - this.windowStart >= this.options.windowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.calls++;
    if (this.options.revokedAfter !== undefined && this.calls > this.options.revokedAfter) throw new FakeApiError(401, {});
    if (++this.inWindow > this.options.limit) {
      const retryAfter = Math.max(1, Math.ceil((this.options.windowMs - (now - this.windowStart)) / 1000));
      throw new FakeApiError(429, { 'retry-after': String(retryAfter) });
    }
    if (this.random() < this.options.flakiness) throw new FakeApiError(503, {});
    const slow = this.calls > this.options.slowdownAfter ? 2 : 1;
    const latency = items.length * this.options.msPerItem * slow * (0.7 + this.random() * 0.6);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, latency);
      signal?.addEventListener('abort', done, { once: true });
    });
    return { accepted: items.length, quality: 0.75 + this.random() * 0.25 };
  }

  private random(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 2 ** 32;
  }
}
