/**
 * `npm run demo`: three concurrent batch runs against a fake rate-limited API,
 * with live progress, the final summaries, and telemetry to an OpenTelemetry
 * Collector when one is configured or listening on 127.0.0.1:4318.
 */
import { trackBatch, type BatchStats } from '../src/index.js';
import { FakeApi } from './fakeApi.js';
import { startDemoTelemetry } from './demoTelemetry.js';

const durationScale = Number(process.env['BATCHTEL_DEMO_SCALE'] ?? '1');

const jobs = [
  { name: 'Sync users to CRM', operation: 'sync_users', category: 'data_sync', items: 1200, batchSize: 25, concurrency: 3,
    api: new FakeApi({ limit: 8, windowMs: 2000, flakiness: 0.03, msPerItem: 6 * durationScale, slowdownAfter: 30, seed: 1 }) },
  { name: 'Annotate documents', operation: 'annotate_docs', category: 'llm', items: 400, batchSize: 10, concurrency: 2,
    api: new FakeApi({ limit: 20, windowMs: 1000, flakiness: 0.08, msPerItem: 25 * durationScale, slowdownAfter: 1000, seed: 2 }) },
  { name: 'Import transactions CSV', operation: 'import_txs', category: 'import', items: 5000, batchSize: 100, concurrency: 1,
    api: new FakeApi({ limit: 1000, windowMs: 1000, flakiness: 0.01, msPerItem: 0.8 * durationScale, slowdownAfter: 25, seed: 3 }) },
] as const;

async function main(): Promise<void> {
  const telemetry = await startDemoTelemetry();
  console.log(`batchtel demo: ${jobs.length} runs; telemetry → ${telemetry.destination}\n`);

  const runs = jobs.map((job) => ({ job, run: trackBatch({ name: job.name, operation: job.operation, category: job.category, total: job.items, service: 'demo' }) }));
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());

  const results = await Promise.all(
    runs.map(({ job, run }) =>
      run.process(
        Array.from({ length: job.items }, (_, i) => i),
        async (chunk, { signal }) => {
          const result = await job.api.send(chunk, signal);
          return { quality: result.quality, usage: job.category === 'llm' ? { inputTokens: chunk.length * 900, outputTokens: chunk.length * 120, cost: chunk.length * 0.0021 } : undefined };
        },
        { batchSize: job.batchSize, concurrency: job.concurrency, retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 3000 }, signal: controller.signal },
      ),
    ),
  );
  console.log('\nsummaries');
  for (const stats of results) console.log(summary(stats));
  await telemetry.shutdown();
  console.log(`\ntelemetry → ${telemetry.destination}`);
}

function summary(s: BatchStats): string {
  return `  ${s.name}: ${s.status}, ${s.succeeded}/${s.total} ok, ${s.failed} failed, ${s.itemsPerSecond} items/s, batch p50/p95/p99 ${s.batchTimes.p50.toFixed(0)}/${s.batchTimes.p95.toFixed(0)}/${s.batchTimes.p99.toFixed(0)} ms, errors ${JSON.stringify(s.errorsByType)}, rate limits ${s.rateLimitHits} (waited ${(s.rateLimitWaitMs / 1000).toFixed(0)} s), retries ${s.retries}`;
}

await main();
