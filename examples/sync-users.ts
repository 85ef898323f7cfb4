/**
 * The three-line loop with telemetry: a user sync against a fake CRM that
 * rate-limits now and then. Run: `npx tsx examples/sync-users.ts`. With a
 * collector on 127.0.0.1:4318 (or OTEL_EXPORTER_OTLP_ENDPOINT set) the spans,
 * metrics and log events go there; otherwise to OTLP JSON files in
 * `.batchtel/otlp/` of the current folder.
 */
import { trackBatch } from '../src/index.js';
import { startTelemetry } from '../src/sdk/index.js';

const telemetry = startTelemetry({ serviceName: 'example-sync', metricExportIntervalMillis: 1000 });

interface User {
  readonly id: string;
  readonly email: string;
}
const users: User[] = Array.from({ length: 400 }, (_, i) => ({ id: `u${i}`, email: `user${i}@example.com` }));

/** A CRM API stand-in: 20 ms a call, and a 429 with Retry-After on every 7th call. */
let calls = 0;
async function upsert(chunk: readonly User[]): Promise<void> {
  calls++;
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (calls % 7 === 0) throw Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '0.05' } });
  if (chunk.length === 0) throw new Error('empty chunk');
}

const stats = await trackBatch({ name: 'Sync users to CRM', operation: 'sync_users', total: users.length }).process(users, async (chunk) => upsert(chunk), {
  chunkSize: 25,
  concurrency: 2,
  retry: { attempts: 3, baseDelayMs: 10 },
});

console.log(`synced ${stats.succeeded}/${stats.total} users, ${stats.rateLimitHits} rate-limit hits, ${stats.retries} retries, result ${stats.result}`);
await telemetry.shutdown();
