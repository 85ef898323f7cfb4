import { afterEach, describe, expect, it, vi } from 'vitest';
import { clampWait, clockTimer, ManualClock, MAX_WAIT_MS, systemClock } from '../../../src/core/clock.js';

afterEach(() => vi.useRealTimers());

describe('clock timers and waits', () => {
  it('ManualClock fires its timers in time order as it is moved, never before', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.timer(300, () => fired.push('b'));
    clock.timer(100, () => fired.push('a'));
    const cancel = clock.timer(200, () => fired.push('cancelled'));
    cancel();
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(500);
    expect(fired).toEqual(['a', 'b']);
  });

  it('a clock without timers of its own is watched on real timers until it passes the deadline', () => {
    vi.useFakeTimers();
    let now = 0;
    const foreign = { now: () => now };
    let fired = 0;
    clockTimer(foreign, 5000, () => fired++);
    vi.advanceTimersByTime(10_000);
    expect(fired).toBe(0); // its time has not moved
    now = 5000;
    vi.advanceTimersByTime(1000);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(fired).toBe(1);
  });

  it('the system clock’s timer fires after its delay and can be cancelled', () => {
    vi.useFakeTimers();
    let fired = 0;
    clockTimer(systemClock, 50, () => fired++);
    const cancel = clockTimer(systemClock, 50, () => fired++);
    cancel();
    vi.advanceTimersByTime(49);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(10);
    expect(fired).toBe(1);
  });

  it('waits are kept within 0..MAX_WAIT_MS', () => {
    expect(clampWait(99_999_999_000)).toBe(MAX_WAIT_MS);
    expect(clampWait(Number.POSITIVE_INFINITY)).toBe(MAX_WAIT_MS);
    expect(clampWait(Number.NaN)).toBe(0);
    expect(clampWait(-5)).toBe(0);
    expect(clampWait(250)).toBe(250);
  });
});
