import type { Queue } from 'bullmq';
import { chunkRefOf } from './RunContext.js';
import type { RunLedger } from './RunLedger.js';

const SWEEP = 200;
const WAITING = new Set(['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children']);

/**
 * Cancels a distributed run: the ledger says so (active chunks see it and
 * abort; the enqueuer stops), then every chunk job still waiting is removed and
 * its items are settled as skipped, so the run's counts still add up, and
 * left for a follower to count in the items metric (no worker will).
 */
export async function cancelChunks(queue: Queue, ledger: RunLedger): Promise<number> {
  await ledger.cancel();
  const { chunks } = await ledger.read();
  let removed = 0;
  for (let from = 0; from < chunks; from += SWEEP) {
    const open = await ledger.unsettled(from, Math.min(chunks, from + SWEEP));
    const jobs = await Promise.all(open.map((index) => queue.getJob(`${ledger.runId}-${index}`)));
    for (const job of jobs) {
      const ref = job ? chunkRefOf(job.data) : undefined;
      if (!job?.id || !ref) continue;
      // A finished job is the follower's to settle, with its real outcome.
      if (!WAITING.has(await job.getState())) continue;
      // 0 when a worker holds the job: that chunk is active, sees the cancel and settles itself.
      if ((await queue.remove(job.id)) !== 1) continue;
      removed++;
      await ledger.settleRemoved(ref);
    }
  }
  return removed;
}
