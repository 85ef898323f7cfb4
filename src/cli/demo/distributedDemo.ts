/**
 * `batchtel demo --workers N`: one run split over N worker processes on BullMQ.
 * Starts a throwaway redis-server (Unix socket in a temp dir, nothing
 * persisted), enqueues the run, spawns the workers, and follows the run here:
 * the terminal line, the board, the summary.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../server/index.js';
import { startDemoTelemetry } from './telemetry.js';

export interface DistributedDemoOptions {
  readonly workers: number;
  readonly port: number;
  readonly items: number;
  readonly out: NodeJS.WritableStream;
}

/**
 * The worker process's file: beside this one in the sources; in the build its own
 * entry, dist/cli/demo/distributedWorker.js, found alike from dist/cli and dist/chunks.
 */
function workerFile(): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith('.ts') ? new URL('./distributedWorker.ts', here) : new URL('../cli/demo/distributedWorker.js', here));
}

export async function runDistributedDemo(options: DistributedDemoOptions): Promise<number> {
  const print = (line = '') => options.out.write(`${line}\n`);
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    print('batchtel demo --workers needs redis-server on PATH (Debian: apt-get install redis-server)');
    return 1;
  }
  const { Queue } = await import('bullmq');
  const { followRun, startRun } = await import('../../bullmq/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'batchtel-demo-redis-'));
  const socket = join(dir, 'redis.sock');
  spawnSync('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'yes'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const connection = { path: socket, maxRetriesPerRequest: null };
  const telemetry = startDemoTelemetry('batchtel-demo-follower');
  const server = await startServer({ port: options.port }).catch(() => startServer({ port: 0 }));
  const queue = new Queue('batchtel-demo', { connection });
  const children: ChildProcess[] = [];
  let stopping = false;
  try {
    const run = await startRun({ queue, name: 'Distributed sync', operation: 'distributed_sync', total: options.items, chunkSize: 50 });
    let exited = 0;
    let allExited!: () => void;
    const noWorkersLeft = new Promise<void>((resolve) => (allExited = resolve));
    for (let i = 0; i < options.workers; i++) {
      const child = spawn(process.execPath, [...process.execArgv, workerFile()], {
        env: { ...process.env, BATCHTEL_DEMO_REDIS: socket, BATCHTEL_DEMO_QUEUE: queue.name },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.once('exit', (code, signal) => {
        if (stopping) return;
        print(`batchtel demo: worker process ${i + 1} exited (${signal ?? `code ${code}`})`);
        if (++exited === options.workers) allExited();
      });
      children.push(child);
    }
    print(`batchtel demo: one run over ${options.workers} worker processes on BullMQ (redis-server on ${socket})`);
    print(`  run:       ${run.id}`);
    print(`  board:     ${server.boardUrl}`);
    print(`  telemetry: ${telemetry.destination}`);
    print('  Grafana:   Batch run detail → "Workers in this run", "Throughput per worker"; one trace per run in Tempo');
    const follower = await followRun({ queue, runId: run.id, run: { stream: options.out } });
    process.once('SIGINT', () => void follower.cancel());
    await run.enqueue(Array.from({ length: options.items }, (_, i) => i));
    // With no worker left the run cannot finish: it is cancelled, not waited on forever.
    void noWorkersLeft
      .then(() => {
        print('batchtel demo: no worker process is left; the run is cancelled');
        return follower.cancel();
      })
      .catch((error: unknown) => print(`batchtel demo: the run could not be cancelled (${String(error)}); Ctrl-C stops the demo`));
    const summary = await follower.done;
    stopping = true;
    print(`\n${summary.result}: ${follower.run.succeeded} succeeded, ${follower.run.failed} failed, ${follower.run.skipped} skipped of ${options.items}`);
    await run.close();
    return summary.result === 'success' ? 0 : 1;
  } finally {
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await queue.close();
    await server.close();
    await telemetry.shutdown();
    spawnSync('redis-cli', ['-s', socket, 'shutdown', 'nosave'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
