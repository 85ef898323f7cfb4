import type { DeliveryCounts } from './SpoolSender.js';

/**
 * Where a durable pipeline's encoded requests go: written to the spool, then
 * sent, on this thread (SpoolDelivery) or on the export worker's
 * (WorkerDelivery). Counts are per process: accepted + inherited = delivered +
 * rejected + dropped + pending.
 */
export interface Delivery {
  readonly counts: DeliveryCounts;
  /**
   * Takes one encoded request of `records` records; the body is handed over (it may be
   * transferred to another thread). `mayWaitMs`: how much longer its records may stay in
   * memory only before the sync interval's bound on what a crash loses (0: none).
   */
  write(body: Uint8Array, records: number, mayWaitMs?: number): void;
  /** Records not yet delivered: in transit, on disk or in flight. */
  pending(): number;
  inflightRecords(): number;
  spoolBytes(): number;
  /** Resolves once everything written is delivered, or the endpoint is failing (the rest waits on disk). */
  flush(): Promise<void>;
  /** Flushes for at most `timeoutMs`, then stops: requests in flight are aborted, what is on disk stays for the next process. */
  close(timeoutMs: number): Promise<void>;
}

/** What a delivery on another thread reports back: its counts and gauges at one moment. */
export interface DeliveryState {
  readonly counts: DeliveryCounts;
  readonly pending: number;
  readonly inflight: number;
  readonly spoolBytes: number;
}

/** Adds `more` into `into` (counts of a worker that is gone, kept by the one that replaces it). */
export function addCounts(into: DeliveryCounts, more: DeliveryCounts): void {
  const add = (a: Record<string, number>, b: Record<string, number>) => {
    for (const [k, n] of Object.entries(b)) a[k] = (a[k] ?? 0) + n;
  };
  into.inherited += more.inherited;
  into.delivered += more.delivered;
  into.rejected += more.rejected;
  into.spooled += more.spooled;
  into.replayed += more.replayed;
  into.writtenLocally += more.writtenLocally;
  into.localEvicted += more.localEvicted;
  add(into.dropped, more.dropped);
  add(into.retries, more.retries);
  add(into.refused, more.refused);
}
