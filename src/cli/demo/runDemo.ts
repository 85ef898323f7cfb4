/**
 * `batchtel demo`: concurrent runs against a fake rate-limited API (429 with
 * Retry-After, transient 503s, a slowdown), the terminal bar, the live board,
 * and telemetry to a collector when one is configured or reachable.
 */
import { z } from 'zod';
import { buildStats, type BatchStats } from '../../api/BatchStats.js';
import { trackBatch } from '../../api/trackBatch.js';
import { defaultRegistry, heldRuns } from '../../core/RunRegistry.js';
import type { Run } from '../../core/Run.js';
import { defineOperation, startServer, type RunningServer } from '../../server/index.js';
import { FakeApi } from './FakeApi.js';
import { startDemoTelemetry } from './telemetry.js';

export interface DemoOptions {
  /** Bounded run time, seconds: whatever is still running then is cancelled. */
  readonly durationSeconds: number;
  readonly port: number;
  readonly auth: boolean;
  /** Latency multiplier of the fake API (tests use a small one). */
  readonly scale: number;
  readonly out: NodeJS.WritableStream;
}

interface Job {
  readonly name: string;
  readonly operation: string;
  readonly category: string;
  readonly items: number;
  readonly chunkSize: number;
  readonly concurrency: number;
  /** Seconds after the demo starts. */
  readonly startAfter: number;
  readonly api: FakeApi;
  /** Stop at the first chunk that still fails after its retries (the run ends as failed). */
  readonly stopOnError?: boolean;
}

/** The schedule below fits the default 75 s; a shorter demo starts everything proportionally sooner. */
const PLANNED_SECONDS = 75;

export function jobs(scale: number, durationSeconds: number): Job[] {
  const soon = Math.min(1, durationSeconds / PLANNED_SECONDS);
  return schedule(scale, soon).map((job) => ({ ...job, startAfter: job.startAfter * soon }));
}

function schedule(scale: number, soon: number): Job[] {
  return [
    {
      name: 'Sync users to CRM',
      operation: 'sync_users',
      category: 'data_sync',
      items: 3000,
      chunkSize: 25,
      concurrency: 3,
      startAfter: 0,
      api: new FakeApi({ limit: 8, windowMs: 2000, flakiness: 0.03, msPerItem: 6 * scale, slowdownAfter: 60, randomSeed: 1 }),
    },
    {
      name: 'Annotate documents',
      operation: 'annotate_docs',
      category: 'llm',
      items: 900,
      chunkSize: 10,
      concurrency: 2,
      startAfter: 0,
      api: new FakeApi({ limit: 20, windowMs: 1000, flakiness: 0.08, msPerItem: 25 * scale, slowdownAfter: 1000, randomSeed: 2 }),
    },
    {
      name: 'Import transactions CSV',
      operation: 'import_txs',
      category: 'import',
      items: 40_000,
      chunkSize: 100,
      concurrency: 1,
      startAfter: 0,
      api: new FakeApi({ limit: 1000, windowMs: 1000, flakiness: 0.01, msPerItem: 0.8 * scale, slowdownAfter: 120, randomSeed: 3 }),
    },
    {
      name: 'Reindex search',
      operation: 'reindex',
      category: 'maintenance',
      items: 6000,
      chunkSize: 50,
      concurrency: 4,
      startAfter: 8,
      api: new FakeApi({ limit: 30, windowMs: 1000, flakiness: 0.02, msPerItem: 2.5 * scale, slowdownAfter: 2000, randomSeed: 4 }),
    },
    {
      name: 'Export invoices to S3',
      operation: 'export_invoices',
      category: 'export',
      items: 2500,
      chunkSize: 20,
      concurrency: 2,
      startAfter: 20,
      api: new FakeApi({ limit: 15, windowMs: 1000, flakiness: 0.05, msPerItem: 12 * scale, slowdownAfter: 40, randomSeed: 5 }),
    },
    {
      name: 'Enrich leads',
      operation: 'enrich_leads',
      category: 'data_sync',
      items: 1500,
      chunkSize: 15,
      concurrency: 2,
      startAfter: 30,
      stopOnError: true,
      api: new FakeApi({
        limit: 12,
        windowMs: 1000,
        flakiness: 0.03,
        msPerItem: 15 * scale,
        slowdownAfter: 1000,
        randomSeed: 7,
        revokedAfter: Math.max(5, Math.round(45 * soon)),
      }),
    },
  ];
}

/** Something the board's API can start: POST /api/batch/create {"operation":"resize_images","input":{"count":500}}. */
const resizeImages = defineOperation(
  'resize_images',
  z.strictObject({ count: z.number().int().min(1).max(100_000) }),
  async (input, ctx) => {
    const api = new FakeApi({ limit: 20, windowMs: 1000, flakiness: 0.04, msPerItem: 8, slowdownAfter: 100, randomSeed: 6 });
    await ctx.process(
      Array.from({ length: input.count }, (_, i) => i),
      async (chunk, { signal }) => {
        const result = await api.send(chunk, signal);
        return { quality: result.quality };
      },
    );
  },
  { total: (input) => input.count, category: 'media' },
);

export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out;
  const print = (line = '') => out.write(`${line}\n`);
  const telemetry = startDemoTelemetry();
  // Runs started through POST /create get a terminal line and a summary like the others.
  const created: Run[] = [];
  const unsubscribe = heldRuns(defaultRegistry).subscribe((event) => {
    if (event.type === 'created' && event.run.descriptor.operation === resizeImages.name) created.push(event.run);
  });
  const server = await listen(options);
  const started = Date.now();
  const deadline = started + options.durationSeconds * 1000;
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    print('\nbatchtel demo: stopping (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const stopTimer = setTimeout(() => controller.abort(), options.durationSeconds * 1000);
  stopTimer.unref();

  const list = jobs(options.scale, options.durationSeconds);
  const later = list.filter((job) => job.startAfter > 0).map((job) => `${job.startAfter.toFixed(0)} s`);
  print(
    `batchtel demo: ${list.length} runs against a fake rate-limited API (${list.length - later.length} now${later.length ? `, then at ${later.join(', ')}` : ''}), for at most ${options.durationSeconds} s`,
  );
  print(`  board:     ${server.boardUrl}`);
  if (server.token) print(`  API token: ${server.token}   (curl -H "Authorization: Bearer ${server.token}" ${server.url}/api/batch/stats)`);
  print(`  start one: POST ${server.url}/api/batch/create {"operation":"resize_images","input":{"count":500}}`);
  print(`  telemetry: ${telemetry.destination}`);
  print('  Ctrl-C stops early.');
  print();

  const results = await Promise.all(
    list.map(async (job) => {
      await delay(job.startAfter * 1000, controller.signal);
      if (controller.signal.aborted) return undefined;
      const run = trackBatch({ name: job.name, operation: job.operation, category: job.category, total: job.items, service: 'demo' });
      return run.process(
        Array.from({ length: job.items }, (_, i) => i),
        async (chunk, { signal }) => {
          const result = await job.api.send(chunk, signal);
          return {
            quality: result.quality,
            ...(job.category === 'llm' ? { usage: { inputTokens: chunk.length * 900, outputTokens: chunk.length * 120, cost: chunk.length * 0.0021 } } : {}),
          };
        },
        {
          chunkSize: job.chunkSize,
          concurrency: job.concurrency,
          retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 3000 },
          signal: controller.signal,
          stopOnError: job.stopOnError ?? false,
        },
      );
    }),
  );
  print();
  print(`summaries (${((Date.now() - started) / 1000).toFixed(0)} s${Date.now() >= deadline ? ', time limit reached' : ''})`);
  for (const stats of results) if (stats) print(summary(stats));
  for (const run of created) print(summary(buildStats(run)));
  if (!controller.signal.aborted) {
    // Everything finished early: keep the board up until the time limit so its final state can be read.
    print(`\nall runs finished; the board stays up for ${Math.ceil((deadline - Date.now()) / 1000)} s more at ${server.boardUrl} (Ctrl-C quits)`);
    await delay(deadline - Date.now(), controller.signal);
  }
  clearTimeout(stopTimer);
  // Bounded: an unreachable collector must not hold the exit (the exporters' own retries would).
  const flushed = await Promise.race([
    telemetry.shutdown().then(
      () => true,
      () => false,
    ),
    delay(5000, new AbortController().signal).then(() => false),
  ]);
  await server.close();
  unsubscribe();
  process.off('SIGINT', onSigint);
  print(`\ntelemetry${flushed ? '' : ' (not all of it was delivered within 5 s)'}:`);
  for (const line of telemetry.report()) print(`  ${line}`);
  return 0;
}

async function listen(options: DemoOptions): Promise<RunningServer> {
  const common = {
    host: '127.0.0.1',
    operations: [resizeImages],
    runDefaults: { display: 'auto' as const, service: 'demo' },
    ...(options.auth ? {} : { auth: { disabled: true as const } }),
  };
  try {
    return await startServer({ ...common, port: options.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) throw error;
    return startServer({ ...common, port: 0 });
  }
}

function summary(s: BatchStats): string {
  return `  ${s.name}: ${s.status}, ${s.succeeded}/${s.total} ok, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}, ${s.itemsPerSecond} items/s, chunk p50/p95/p99 ${s.batchTimes.p50.toFixed(0)}/${s.batchTimes.p95.toFixed(0)}/${s.batchTimes.p99.toFixed(0)} ms, errors ${JSON.stringify(s.errorsByType)}, rate limits ${s.rateLimitHits} (waited ${(s.rateLimitWaitMs / 1000).toFixed(0)} s), retries ${s.retries}`;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
