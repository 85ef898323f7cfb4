import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { TokenBucket } from '../../../src/server/TokenBucket.js';

describe('TokenBucket', () => {
  it('grants a burst of `capacity`, then refills at the rate; says how long to wait', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(3, 2, clock);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBe(500);
    clock.advance(250);
    expect(bucket.take()).toBe(250);
    clock.advance(250);
    expect(bucket.take()).toBe(0);
    clock.advance(60_000);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0, 500]);
  });
});
