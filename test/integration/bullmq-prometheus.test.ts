/**
 * A distributed run's metrics through the real collector into Prometheus: the
 * items counter of three worker processes (each its own service.instance.id)
 * sums to the run's total, once; so do a cancelled run's, whose removed chunks
 * no worker ever saw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/bullmq/index.js';
import { PROM as NAMES, PROM_LABEL as L } from '../../src/prometheusNames.js';
import { FixtureProcess } from '../support/bullmqProcesses.js';
import { OtlpSink } from '../support/otlpSink.js';
import { RedisServer } from '../support/redis.js';
import { collectorBinary, otlpUrl, promQuery, Stack, waitFor, type Collector, type Prometheus } from '../support/stack.js';

describe('a distributed run in Prometheus (real collector, real Prometheus, real Redis)', () => {
  const stack = new Stack();
  const tempo = new OtlpSink();
  const loki = new OtlpSink();
  let redis: RedisServer;
  const dir = mkdtempSync(join(tmpdir(), 'batchtel-bullmq-prom-'));
  const processes: FixtureProcess[] = [];
  let prom: Prometheus;
  let agent: Collector;

  beforeAll(async () => {
    const binary = collectorBinary();
    redis = await new RedisServer().start();
    const tempoUrl = await tempo.start();
    const lokiUrl = await loki.start();
    prom = await stack.prometheus();
    agent = await stack.collector(
      'agent.yaml',
      {
        BATCHTEL_TRACES_URL: `${tempoUrl}/v1/traces`,
        BATCHTEL_LOGS_URL: `${lokiUrl}/v1/logs`,
        BATCHTEL_PROMETHEUS_OTLP_URL: otlpUrl(prom),
        BATCHTEL_OTLP_ENCODING: 'json',
        BATCHTEL_DECISION_WAIT: '1s',
        BATCHTEL_STORAGE_DIR: mkdtempSync(join(dir, 'agent-')),
      },
      { binary },
    );
    prom.scrape(agent.ports.metrics);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await stack.stop();
    await tempo.stop();
    await loki.stop();
    redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What every worker and follower process of a scenario needs: its queue on the test's Redis, metrics to the agent every half second. */
  function processEnv(queue: string): Record<string, string> {
    return { REDIS_SOCKET: redis.socket, QUEUE: queue, OTEL_EXPORTER_OTLP_ENDPOINT: agent.endpoint, METRIC_INTERVAL_MS: '500' };
  }

  /** Starts scenario `letter`'s run, `count` follower processes on it, then enqueues its items in chunks of 50. */
  async function startFollowedRun(letter: string, name: string, total: number, env: Record<string, string>, count = 1) {
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: `Scenario ${letter.toUpperCase()}`, operation: `scenario_${letter}`, total, chunkSize: 50 });
    const followers = Array.from(
      { length: count },
      (_, i) =>
        new FixtureProcess(`${letter}-follower${i || ''}`, 'test/fixtures/bullmq-follower.ts', {
          ...env,
          RUN_ID: run.id,
          SERVICE_NAME: `batchtel-${letter}-follower`,
          SPOOL_DIR: join(dir, `${letter}-f${i || ''}-spool`),
          LOCAL_DIR: join(dir, `${letter}-f${i || ''}-otlp`),
        }),
    );
    processes.push(...followers);
    await Promise.all(followers.map((f) => f.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 60_000)));
    await run.enqueue(Array.from({ length: total }, (_, i) => i));
    return { queue, run, follower: followers[0]!, followers };
  }

  /** Scenario `letter`'s items in Prometheus summed `by` a label, once they add up to `total` (an export interval or two after the run). */
  async function itemsBy(by: string, letter: string, total: number): Promise<Record<string, number>> {
    const query = `sum by (${by}) (${NAMES.itemsProcessed}{${L.operation}="scenario_${letter}"})`;
    let rows: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
    await waitFor(
      'every item in Prometheus',
      async () => {
        rows = await promQuery(prom.port, query);
        return rows.reduce((sum, r) => sum + Number(r.value[1]), 0) >= total;
      },
      60_000,
      () => JSON.stringify(rows),
    );
    return Object.fromEntries(rows.map((r) => [r.metric[by] ?? '', Number(r.value[1])]));
  }

  it("one run's items, summed across its workers in Prometheus, equal the total", async () => {
    const name = 'scenario-e';
    const total = 4000;
    const common = processEnv(name);
    const workers = [0, 1, 2].map(
      (i) =>
        new FixtureProcess(`worker-${i}`, 'test/fixtures/bullmq-worker.ts', {
          ...common,
          CONCURRENCY: '2',
          CHUNK_DELAY_MS: '50',
          FAIL_EVERY: '5',
          SERVICE_NAME: 'batchtel-e-worker',
          SPOOL_DIR: join(dir, `w${i}-spool`),
          LOCAL_DIR: join(dir, `w${i}-otlp`),
        }),
    );
    processes.push(...workers);
    await Promise.all(workers.map((w) => w.waitFor('ready', (p) => p.events.some((e) => e.ev === 'ready'), 60_000)));
    const { queue, run, follower } = await startFollowedRun('e', name, total, common);
    await follower.waitFor('summary', (p) => p.events.some((e) => e.ev === 'summary'), 120_000);
    // Stopping flushes each worker's last metric export.
    await Promise.all(workers.map((w) => w.stop()));

    const selector = `${L.operation}="scenario_e"`;
    const perWorker = Object.values(await itemsBy('instance', 'e', total));
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(total);
    expect(perWorker).toHaveLength(3);
    for (const items of perWorker) expect(items).toBeGreaterThan(0);
    const failed = await promQuery(prom.port, `sum(${NAMES.itemsProcessed}{${selector}, ${L.outcome}="failure"})`);
    expect(Number(failed[0]?.value[1])).toBe(16);
    // The follower counts no items of its own: the sum is the workers' alone.
    const byJob = await promQuery(prom.port, `sum by (job) (${NAMES.itemsProcessed}{${selector}})`);
    expect(byJob.map((r) => r.metric['job'])).toEqual(['batchtel-e-worker']);
    await run.close();
    await queue.close();
  });

  it("a run cancelled mid-way: the removed chunks' items are in Prometheus's skipped count once, with two followers and the cancel from a third process", async () => {
    const name = 'scenario-h';
    const total = 3000;
    const common = {
      ...processEnv(name),
      FAIL_EVERY: '5',
    };
    const workers = [0, 1].map(
      (i) =>
        new FixtureProcess(`h-worker-${i}`, 'test/fixtures/bullmq-worker.ts', {
          ...common,
          CONCURRENCY: '2',
          CHUNK_DELAY_MS: '500',
          SERVICE_NAME: 'batchtel-h-worker',
          SPOOL_DIR: join(dir, `h-w${i}-spool`),
          LOCAL_DIR: join(dir, `h-w${i}-otlp`),
        }),
    );
    processes.push(...workers);
    await Promise.all(workers.map((w) => w.waitFor('ready', (p) => p.events.some((e) => e.ev === 'ready'), 60_000)));
    // Two followers on the same run: the removed chunks still count once.
    const { queue, run, follower, followers } = await startFollowedRun('h', name, total, common, 2);
    const second = followers[1]!;
    await Promise.all(workers.map((w) => w.waitFor('two chunks done', (p) => p.events.filter((e) => e.ev === 'done').length >= 2, 60_000)));
    // Cancelled from this process, which follows nothing and exports nothing.
    await run.cancel();
    const summaryOf = (p: FixtureProcess) =>
      p.events.find((e) => e.ev === 'summary') as unknown as { result: string; succeeded: number; failed: number; skipped: number };
    await Promise.all([follower, second].map((f) => f.waitFor('summary', (p) => p.events.some((e) => e.ev === 'summary'), 120_000)));
    const summary = summaryOf(follower);
    expect(summary.result).toBe('cancellation');
    expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
    const workerSkipped = workers.flatMap((w) => w.events).filter((e) => e.ev === 'abort').length * 50;
    // Most of the run was removed from the queue, not aborted in a handler.
    expect(summary.skipped).toBeGreaterThan(workerSkipped + 1000);
    expect(summaryOf(second)).toMatchObject({ succeeded: summary.succeeded, failed: summary.failed, skipped: summary.skipped });
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all([follower.exited, second.exited]);

    const byOutcome = await itemsBy(L.outcome, 'h', total);
    expect(byOutcome['skipped']).toBe(summary.skipped);
    expect(byOutcome['failure'] ?? 0).toBe(summary.failed);
    expect(Object.values(byOutcome).reduce((a, b) => a + b, 0)).toBe(total);
    await run.close();
    await queue.close();
  });

  it("a chunk failed by BullMQ's stalled-job limit: its items are in Prometheus's failure count once, though no handler finished it", async () => {
    const name = 'scenario-g';
    const total = 1500;
    const common = {
      ...processEnv(name),
      // A chunk whose worker dies fails at its first stall (BullMQ's maxStalledCount: 0).
      MAX_STALLED: '0',
      LOCK_MS: '4000',
      STALLED_INTERVAL_MS: '1000',
      FAIL_EVERY: '5',
      SERVICE_NAME: 'batchtel-g-worker',
    };
    const spawnWorker = (id: string, env: Record<string, string>) =>
      new FixtureProcess(`g-${id}`, 'test/fixtures/bullmq-worker.ts', {
        ...common,
        CONCURRENCY: '2',
        SPOOL_DIR: join(dir, `g-${id}-spool`),
        LOCAL_DIR: join(dir, `g-${id}-otlp`),
        ...env,
      });
    // The victim never finishes a chunk: killed, it takes no counts with it, and its chunks fail by stalling.
    const victim = spawnWorker('victim', { CHUNK_DELAY_MS: '600000' });
    const workers = [0, 1].map((i) => spawnWorker(`worker-${i}`, { CHUNK_DELAY_MS: '100' }));
    processes.push(victim, ...workers);
    await Promise.all([victim, ...workers].map((w) => w.waitFor('ready', (p) => p.events.some((e) => e.ev === 'ready'), 60_000)));
    const { queue, run, follower } = await startFollowedRun('g', name, total, common);
    await victim.waitFor('two chunks held', (p) => p.events.filter((e) => e.ev === 'start').length >= 2, 60_000);
    victim.kill9();
    await victim.exited;
    const held = victim.events.filter((e) => e.ev === 'start').map((e) => Number(e['chunk']));
    await follower.waitFor('summary', (p) => p.events.some((e) => e.ev === 'summary'), 120_000);
    const summary = follower.events.find((e) => e.ev === 'summary')! as unknown as { succeeded: number; failed: number; skipped: number };
    expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
    // The held chunks failed whole; of the others, every fifth has one failed item.
    const others = Array.from({ length: 30 }, (_, i) => i).filter((i) => !held.includes(i));
    expect(summary.failed).toBe(held.length * 50 + others.filter((i) => i % 5 === 0).length);
    for (const chunk of held) expect(await (await queue.getJob(`${run.id}-${chunk}`))?.getState()).toBe('failed');
    await Promise.all(workers.map((w) => w.stop()));
    await follower.exited;

    const byOutcome = await itemsBy(L.outcome, 'g', total);
    expect(byOutcome['failure']).toBe(summary.failed);
    expect(Object.values(byOutcome).reduce((a, b) => a + b, 0)).toBe(total);
    await run.close();
    await queue.close();
  });
});
