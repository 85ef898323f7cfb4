import { describe, expect, it } from 'vitest';
import { QuantileSketch } from '../../../src/core/QuantileSketch.js';

describe('QuantileSketch', () => {
  it('is empty-safe', () => {
    const sketch = new QuantileSketch();
    expect([sketch.count, sketch.min, sketch.max, sketch.mean, sketch.quantile(0.5)]).toEqual([0, 0, 0, 0, 0]);
  });

  it('keeps percentiles within 1% of the exact ones on a skewed distribution', () => {
    const sketch = new QuantileSketch(0.01);
    const values: number[] = [];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 50_000; i++) {
      const v = Math.exp(random() * 8); // 1 ms .. ~3 s, log-uniform
      values.push(v);
      sketch.add(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.floor(q * (values.length - 1))]!;
      expect(Math.abs(sketch.quantile(q) - exact) / exact).toBeLessThan(0.0101);
    }
    expect(sketch.min).toBe(values[0]);
    expect(sketch.max).toBe(values[values.length - 1]);
  });

  it('uses the same memory for ten values and a million', () => {
    const small = new QuantileSketch();
    const large = new QuantileSketch();
    for (let i = 0; i < 10; i++) small.add(i + 1);
    for (let i = 0; i < 1_000_000; i++) large.add((i % 5000) + 1);
    // Same fixed bucket array: size is decided at construction.
    expect((large as unknown as { buckets: Uint32Array }).buckets.length).toBe((small as unknown as { buckets: Uint32Array }).buckets.length);
    expect(large.count).toBe(1_000_000);
  });

  it('handles zero durations', () => {
    const sketch = new QuantileSketch();
    sketch.add(0);
    sketch.add(0);
    sketch.add(10);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(sketch.max).toBe(10);
  });

  it('spreadPercent: max over min in percent, undefined when empty or min is 0', () => {
    const sketch = new QuantileSketch();
    expect(sketch.spreadPercent).toBeUndefined();
    sketch.add(100);
    sketch.add(150);
    expect(sketch.spreadPercent).toBe(50);
    sketch.add(0);
    expect(sketch.spreadPercent).toBeUndefined();
  });
});
