import { describe, expect, it, vi } from 'vitest';

describe('RandomHexIds', () => {
  it('makes lowercase hex IDs of the W3C lengths, distinct, every digit about equally often', async () => {
    const { RandomHexIds } = await import('../../../src/sdk/RandomHexIds.js');
    const ids = new RandomHexIds();
    const traces = new Set<string>();
    const spans = new Set<string>();
    const digits = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const trace = ids.traceId();
      const span = ids.spanId();
      expect(trace).toMatch(/^[0-9a-f]{32}$/);
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      traces.add(trace);
      spans.add(span);
      for (const c of trace + span) digits.set(c, (digits.get(c) ?? 0) + 1);
    }
    expect(traces.size).toBe(20_000);
    expect(spans.size).toBe(20_000);
    // 960,000 digits, 60,000 expected each: a biased nibble (a digit never or twice as often) is far outside ±3%.
    expect(digits.size).toBe(16);
    for (const count of digits.values()) expect(Math.abs(count - 60_000)).toBeLessThan(1_800);
  });

  it('draws again when the random words make an all-zero ID (invalid in W3C trace context)', async () => {
    vi.resetModules();
    let call = 0;
    vi.doMock('node:crypto', async (original) => ({
      ...(await original<typeof import('node:crypto')>()),
      // The first pool is all zeros but for its last four words; later pools are 0x01 bytes.
      randomFillSync: (pool: Uint32Array) => {
        pool.fill(call++ === 0 ? 0 : 0x01010101);
        if (call === 1) pool.set([0, 0xdeadbeef, 0, 0], pool.length - 4);
        return pool;
      },
    }));
    try {
      const { RandomHexIds } = await import('../../../src/sdk/RandomHexIds.js');
      const ids = new RandomHexIds();
      // 1,020 zero words: 255 all-zero trace IDs drawn and refused, then the last four words.
      expect(ids.traceId()).toBe('00000000deadbeef0000000000000000');
      expect(ids.spanId()).toBe('0101010101010101');
      expect(call).toBe(2);
    } finally {
      vi.doUnmock('node:crypto');
      vi.resetModules();
    }
  });
});
