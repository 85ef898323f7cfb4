import { describe, expect, it } from 'vitest';
import { jobs } from '../../../src/cli/demo/runDemo.js';
import { deliveryLine } from '../../../src/cli/demo/telemetry.js';
import type { DeliveryStats } from '../../../src/sdk/index.js';

const stats = (over: Partial<DeliveryStats>): DeliveryStats => ({
  signal: 'traces',
  accepted: 0,
  inherited: 0,
  delivered: 0,
  rejected: 0,
  dropped: {},
  pending: 0,
  spooled: 0,
  replayed: 0,
  retries: {},
  writtenLocally: 0,
  localEvicted: 0,
  spoolBytes: 0,
  ...over,
});

describe('batchtel demo', () => {
  it('starts every run within the first 40% of any duration, so a short demo shows all of them', () => {
    for (const duration of [4, 20, 75, 300]) {
      const list = jobs(1, duration);
      expect(list).toHaveLength(6);
      expect(Math.max(...list.map((job) => job.startAfter))).toBeLessThanOrEqual(Math.min(duration, 75) * 0.4);
    }
    expect(jobs(1, 75).map((job) => job.startAfter)).toEqual([0, 0, 0, 8, 20, 30]);
  });

  it('says where spans went, with counts: the collector, the local folder, the spool, or lost', () => {
    const url = 'http://127.0.0.1:4318/v1/traces';
    expect(deliveryLine(stats({ delivered: 120 }), url)).toBe(`traces (spans): 120 sent to ${url}`);
    expect(deliveryLine(stats({ delivered: 120, writtenLocally: 120 }), url)).toMatch(
      /^traces \(spans\): 120 written to \.batchtel\/otlp \(no collector answered at http/,
    );
    expect(deliveryLine(stats({ delivered: 120, writtenLocally: 120, localEvicted: 20 }), url)).toContain('20 of them evicted since (the folder is bounded)');
    expect(deliveryLine(stats({ signal: 'logs', delivered: 10, pending: 5, dropped: { queue_full: 2 } }), undefined)).toBe(
      'logs (log records): 10 sent to the collector, 5 not delivered yet (kept in the spool; the next start or `batchtel spool replay` sends them), 2 lost (2 queue_full)',
    );
  });
});
