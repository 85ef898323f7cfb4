import type { Queue } from 'bullmq';
import { chunkRefOf } from './RunContext.js';
import type { RunLedger } from './RunLedger.js';

const SWEEP = 200;

/**
 * Cancels a distributed run: the ledger says so (active chunks see it and
 * abort; the enqueuer stops), then every chunk job still waiting is taken off
 * the queue and its items are settled as skipped, so the run's counts still
 * add up, and left for a follower to count in the items metric (no worker will).
 */
export async function cancelChunks(queue: Queue, ledger: RunLedger): Promise<number> {
  await ledger.cancel();
  const { chunks } = await ledger.read();
  const waiting = [queue.toKey('wait'), queue.toKey('paused'), queue.toKey('delayed'), queue.toKey('prioritized'), queue.toKey('waiting-children')] as const;
  let removed = 0;
  for (let from = 0; from < chunks; from += SWEEP) {
    const open = await ledger.unsettled(from, Math.min(chunks, from + SWEEP));
    const jobs = await Promise.all(open.map((index) => queue.getJob(`${ledger.runId}-${index}`)));
    for (const job of jobs) {
      const ref = job ? chunkRefOf(job.data) : undefined;
      // Not taken: a worker holds the chunk (it sees the cancel and settles itself) or finished it (the follower settles it).
      if (!job?.id || !ref || !(await ledger.takeWaiting(ref, job.id, waiting))) continue;
      removed++;
      // The job is in no list any more: this only deletes its data.
      await queue.remove(job.id).catch(() => 0);
    }
  }
  return removed;
}
