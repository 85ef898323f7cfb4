/**
 * One worker process of `batchtel demo --workers N`: a BullMQ Worker whose
 * processor is wrapped by batchtel, calling the demo's fake rate-limited API
 * (its 429s pause the whole queue). Started by distributedDemo.ts.
 */
import { Worker } from 'bullmq';
import { chunkProcessor, workerOptions } from '../../bullmq/index.js';
import { FakeApi } from './FakeApi.js';
import { startDemoTelemetry } from './telemetry.js';

const connection = { path: process.env['BATCHTEL_DEMO_REDIS'] ?? '', maxRetriesPerRequest: null };
const telemetry = startDemoTelemetry('batchtel-demo-worker');
const api = new FakeApi({ limit: 12, windowMs: 1000, flakiness: 0.03, msPerItem: 4, slowdownAfter: 10_000, randomSeed: process.pid });
const processor = chunkProcessor<number>(
  async (items, ctx) => {
    const result = await api.send(items, ctx.signal);
    return { failed: items.length - result.accepted, quality: result.quality };
  },
  { connection },
);
const worker = new Worker(process.env['BATCHTEL_DEMO_QUEUE'] ?? 'batchtel-demo', processor, workerOptions({ connection, concurrency: 3 }));
const stop = async () => {
  await worker.close();
  await processor.close();
  await telemetry.shutdown();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
