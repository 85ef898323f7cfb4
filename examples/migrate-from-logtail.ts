/**
 * The Logtail `createBatchProgress` calls, unchanged, on batchtel: only the
 * import differs. Run: `npx tsx examples/migrate-from-logtail.ts`.
 */
import { createBatchProgress } from '../src/index.js';

const txs = Array.from({ length: 120 }, (_, i) => ({ hash: `0x${i.toString(16).padStart(4, '0')}` }));
const batchSize = 20;

const progress = createBatchProgress({
  name: 'Processing Transactions',
  total: txs.length,
  service: 'TRANSACTION_SERVICE',
  operation: 'process_txs',
  category: 'blockchain',
  metadata: { api_version: 'v2' },
});
progress.start();
for (let batchNum = 1; batchNum * batchSize <= txs.length; batchNum++) {
  const batch = txs.slice((batchNum - 1) * batchSize, batchNum * batchSize);
  progress.update(0, [`Processing batch ${batchNum}`]);
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 15));
  if (batchNum === 3) {
    const error = Object.assign(new Error('Too Many Requests'), { status: 429 });
    progress.trackError(batchNum, error, false, error.status, 'RateLimit');
  }
  progress.completeBatch(batchNum, batch.length, [], Date.now() - started);
}
const stats = progress.finish({ message: `Processed ${txs.length} transactions` });
console.log(`items/s ${stats.itemsPerSecond.toFixed(1)}, errors ${stats.errors}, batch p95 ${stats.batchTimes.p95.toFixed(0)} ms`);
