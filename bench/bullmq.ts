/**
 * The cost of batchtel on a BullMQ worker, and of following a run. Run:
 * `npm run bench:bullmq` (needs `redis-server`; it starts its own on a Unix
 * socket and stops it).
 *
 * 1. Jobs per second: the same chunk jobs (one run's, enqueued with
 *    `startRun`) through a plain BullMQ Worker and through the same Worker
 *    with its processor wrapped by `chunkProcessor` (and `workerOptions`),
 *    same Redis, same concurrency, the SDK installed and exporting to an
 *    OTLP endpoint in another process (as a collector is). Two job kinds: a chunk that waits 5 ms on I/O (a
 *    call to an API or a database, what chunk jobs do), and an empty one
 *    (BullMQ's own cost only, the worst case for any wrapper). Rounds
 *    alternate; the medians are compared. Target: wrapped / plain >= 0.95.
 *    A third worker is wrapped with its chunk spans sent to a no-op tracer:
 *    the share of the cost that is the SDK's span pipeline (creation,
 *    serialisation, spool) on the worker's thread.
 * 2. The follower's CPU per 1,000 chunk completions: a worker in a child
 *    process settles a run's chunks while this process only follows it.
 *
 * batchtel is the built package (`npm run build`, done first when the sources
 * changed), as an app that installed it runs it.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProxyTracerProvider } from '@opentelemetry/api';
import { Queue, Worker, type Job } from 'bullmq';
import { ensureBuilt } from '../test/support/builtPackage.js';
import { FixtureProcess } from '../test/support/bullmqProcesses.js';
import { RedisServer } from '../test/support/redis.js';

// The package as users run it: the built bundle (dist/), not the sources through a transpiler.
await ensureBuilt();
const dist = (entry: string) => new URL(`../dist/${entry}/index.js`, import.meta.url).href;
const { chunkProcessor, followRun, startRun, workerOptions } = (await import(dist('bullmq'))) as typeof import('../src/bullmq/index.js');
const { startTelemetry } = (await import(dist('sdk'))) as typeof import('../src/sdk/index.js');

const JOBS = Number(process.env['BENCH_JOBS'] ?? 4000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONCURRENCY = 8;
const FOLLOW_CHUNKS = Number(process.env['BENCH_FOLLOW_CHUNKS'] ?? 4000);
const TARGET = 0.95;

const redis = await new RedisServer().start();
// The endpoint runs in a process of its own, as a collector does: receiving and
// decompressing the requests is not the worker's cost.
const sink = fork(fileURLToPath(new URL('./export/countingSink.ts', import.meta.url)), ['0'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
const sinkPort = await new Promise<number>((resolve, reject) => {
  sink.once('message', (m: { port: number }) => resolve(m.port));
  sink.once('exit', (code) => reject(new Error(`the OTLP sink exited with ${code}`)));
});
const dir = mkdtempSync(join(tmpdir(), 'batchtel-bench-bullmq-'));
const connection = redis.connection;
const telemetry = startTelemetry({
  serviceName: 'bench-bullmq',
  endpoint: `http://127.0.0.1:${sinkPort}`,
  protocol: 'http/protobuf',
  spoolDir: join(dir, 'spool'),
  localDir: join(dir, 'otlp'),
});

type Kind = 'plain' | 'batchtel' | 'untraced';
const KINDS: Kind[] = ['plain', 'batchtel', 'untraced'];

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Enqueues one run's chunk jobs, then times one worker through all of them. */
async function round(kind: Kind, index: number, ioMs: number): Promise<{ rate: number; cpuUs: number }> {
  const name = `bench-${kind}-${ioMs}-${index}`;
  const queue = new Queue(name, { connection });
  const run = await startRun({ queue, name: 'bench', total: JOBS, chunkSize: 1, bulkSize: 500, jobOptions: { removeOnComplete: true } });
  await run.enqueue(Array.from({ length: JOBS }, (_, i) => i));
  const io = () => (ioMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ioMs)) : undefined);
  const plain = async (job: Job) => {
    await io();
    return job.data.items.length;
  };
  const wrapped = chunkProcessor<number>(
    async () => {
      await io();
    },
    // A tracer provider with no delegate: every chunk span is a no-op.
    kind === 'untraced' ? { connection, tracerProvider: new ProxyTracerProvider() } : { connection },
  );
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const worker =
    kind === 'plain'
      ? new Worker(name, plain, { connection, concurrency: CONCURRENCY })
      : new Worker(name, wrapped, workerOptions({ connection, concurrency: CONCURRENCY }));
  worker.on('completed', () => {
    if (++done === JOBS) finished();
  });
  await all;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await worker.close();
  await wrapped.close();
  await run.close();
  await queue.obliterate({ force: true });
  await queue.close();
  // CPU of this process per job (worker, wrapper, SDK and its export; not Redis): steadier than jobs/s on a shared machine.
  return { rate: JOBS / seconds, cpuUs: (cpu.user + cpu.system) / JOBS };
}

await round('plain', -1, 0); // warm-up: JIT, connections
await round('batchtel', -1, 0);
for (const ioMs of [5, 0]) {
  const results: Record<Kind, number[]> = { plain: [], batchtel: [], untraced: [] };
  const cpus: Record<Kind, number[]> = { plain: [], batchtel: [], untraced: [] };
  for (let i = 0; i < ROUNDS; i++) {
    // Alternating order, so a machine that gets busier or quieter favours neither.
    const order = i % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      const r = await round(kind, i, ioMs);
      results[kind].push(r.rate);
      cpus[kind].push(r.cpuUs);
    }
  }
  const plain = median(results.plain);
  const wrapped = median(results.batchtel);
  const ratio = wrapped / plain;
  console.log(
    `bullmq worker, chunk jobs ${ioMs > 0 ? `waiting ${ioMs} ms on I/O` : 'doing nothing'}, ${JOBS} jobs x ${ROUNDS} rounds, concurrency ${CONCURRENCY}:`,
  );
  console.log(`  plain BullMQ worker   ${plain.toFixed(0)} jobs/s  (rounds: ${results.plain.map((r) => r.toFixed(0)).join(', ')})`);
  console.log(`  wrapped by batchtel   ${wrapped.toFixed(0)} jobs/s  (rounds: ${results.batchtel.map((r) => r.toFixed(0)).join(', ')})`);
  console.log(`  ratio                 ${ratio.toFixed(3)}  (target >= ${TARGET}) ${ratio >= TARGET ? 'OK' : 'BELOW TARGET'}`);
  const untraced = median(results.untraced);
  console.log(
    `  wrapped, no-op spans  ${untraced.toFixed(0)} jobs/s  (rounds: ${results.untraced.map((r) => r.toFixed(0)).join(', ')}), ratio ${(untraced / plain).toFixed(3)}: the rest is the SDK's span pipeline`,
  );
  console.log(
    `  CPU per job           plain ${median(cpus.plain).toFixed(0)} µs, wrapped ${median(cpus.batchtel).toFixed(0)} µs (+${(median(cpus.batchtel) - median(cpus.plain)).toFixed(0)} µs), no-op spans ${median(cpus.untraced).toFixed(0)} µs`,
  );
}

// ---- the follower's CPU -----------------------------------------------------------------
{
  const name = 'bench-follow';
  const queue = new Queue(name, { connection });
  const run = await startRun({ queue, name: 'bench follow', total: FOLLOW_CHUNKS, chunkSize: 1, bulkSize: 500 });
  const follower = await followRun({ queue, runId: run.id, run: { display: 'none', alerts: { enabled: true } } });
  await run.enqueue(Array.from({ length: FOLLOW_CHUNKS }, (_, i) => i));
  const worker = new FixtureProcess('bench-worker', 'test/fixtures/bullmq-worker.ts', {
    REDIS_SOCKET: redis.socket,
    QUEUE: name,
    CONCURRENCY: '8',
    CHUNK_DELAY_MS: '0',
    FAIL_EVERY: '0',
    OTEL_SDK_DISABLED: 'true',
    SPOOL_DIR: join(dir, 'w-spool'),
    LOCAL_DIR: join(dir, 'w-otlp'),
  });
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const summary = await follower.done;
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - t0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`follower, ${FOLLOW_CHUNKS} chunk completions in ${(wall / 1000).toFixed(1)} s (${summary.result}, ${follower.completed} items):`);
  console.log(
    `  CPU ${cpuMs.toFixed(0)} ms = ${((cpuMs * 1000) / FOLLOW_CHUNKS).toFixed(1)} ms per 1,000 chunk completions (${((cpuMs / wall) * 100).toFixed(1)}% of one core)`,
  );
  await worker.stop();
  await run.close();
  await queue.close();
}

await telemetry.shutdown();
sink.kill();
redis.stop();
rmSync(dir, { recursive: true, force: true });
