import { describe, expect, it } from 'vitest';
import { RingCursor } from '../../../src/core/RingCursor.js';

describe('RingCursor', () => {
  it('fills slots in order, then overwrites the oldest', () => {
    const ring = new RingCursor(3);
    expect([ring.advance(), ring.advance()]).toEqual([0, 1]);
    expect(ring.count).toBe(2);
    expect(ring.full).toBe(false);
    expect(ring.advance()).toBe(2);
    expect(ring.full).toBe(true);
    expect(ring.advance()).toBe(0);
    expect(ring.count).toBe(3);
  });

  it('lists slots oldest first, before and after wrapping', () => {
    const ring = new RingCursor(3);
    ring.advance();
    ring.advance();
    expect([ring.slot(0), ring.slot(1)]).toEqual([0, 1]);
    ring.advance();
    ring.advance(); // overwrote slot 0: the oldest is now slot 1
    expect([ring.slot(0), ring.slot(1), ring.slot(2)]).toEqual([1, 2, 0]);
  });
});
