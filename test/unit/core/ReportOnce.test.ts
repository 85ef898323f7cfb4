import { describe, expect, it } from 'vitest';
import { ReportOnce } from '../../../src/core/ReportOnce.js';

describe('ReportOnce', () => {
  it('tells the sink the first occurrence of each kind and counts them all', () => {
    const told: string[] = [];
    const once = new ReportOnce<'a' | 'b'>((code, message) => told.push(`${code}: ${message}`));
    expect(once.report('a', 'first a')).toBe(true);
    expect(once.report('a', 'second a')).toBe(false);
    expect(once.report('b', 'first b')).toBe(true);
    expect(told).toEqual(['a: first a', 'b: first b']);
    expect([once.count('a'), once.count('b')]).toEqual([2, 1]);
    expect(once.toJSON()).toEqual({ a: 2, b: 1 });
  });

  it('survives a sink that throws', () => {
    const once = new ReportOnce(() => {
      throw new Error('broken logger');
    });
    expect(() => once.report('x', 'message')).not.toThrow();
    expect(once.count('x')).toBe(1);
  });
});
