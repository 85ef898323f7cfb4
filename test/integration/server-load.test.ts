import { describe, expect, it } from 'vitest';
import { measure, replayMemory } from '../../bench/server-load.js';

/**
 * The small version of `npm run bench:server`: 100 SSE clients (in a child
 * process) follow many runs over loopback while the loops keep their pace.
 * Bounds are loose: CI machines are shared; the bench prints the real figures.
 */
describe('control server under load', () => {
  it('serves 100 SSE clients every event without slowing the loops it observes', async () => {
    const r = await measure({ clients: 100, runs: 20, history: 200, phaseMs: 2000, progressIntervalMs: 250 });
    expect(r.clientsConnected).toBe(100);
    expect(r.events.perClientMin).toBeGreaterThan(20);
    expect(r.events.p99Ms).toBeLessThan(1000);
    expect(r.efficiencyRatio).toBeGreaterThan(0.6);
  }, 60_000);

  it('holds a bounded replay buffer with no client, whatever the run name', () => {
    const m = replayMemory(1000);
    expect(m.huge.replayBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(m.huge.replayBytes).toBeLessThan(m.short.replayBytes * 2);
    expect(m.huge.heapGrowthBytes).toBeLessThan(64 * 1024 * 1024);
  });
});
