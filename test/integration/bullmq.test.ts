/**
 * Distributed runs on BullMQ, with real parts only: a real redis-server (on a
 * Unix socket in a temp dir), the real `bullmq` package, worker and follower
 * processes started as children, and an OTLP/HTTP endpoint that keeps what the
 * processes export.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkJobId, chunkProcessor, startRun, workerOptions, type ChunkOutcome } from '../../src/bullmq/index.js';
import * as sc from '../../src/semconv.js';
import { FixtureProcess } from '../support/bullmqProcesses.js';
import { OtlpSink } from '../support/otlpSink.js';
import { RedisServer } from '../support/redis.js';

const WORKER = 'test/fixtures/bullmq-worker.ts';
const FOLLOWER = 'test/fixtures/bullmq-follower.ts';

let redis: RedisServer;
let sink: OtlpSink;
let sinkUrl: string;
let dir: string;
const processes: FixtureProcess[] = [];

beforeAll(async () => {
  redis = await new RedisServer().start();
  sink = new OtlpSink();
  sinkUrl = await sink.start();
  dir = mkdtempSync(join(tmpdir(), 'batchtel-bullmq-'));
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await sink?.stop();
  redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function spawnProcess(name: string, fixture: string, env: Record<string, string>): FixtureProcess {
  const p = new FixtureProcess(name, fixture, {
    REDIS_SOCKET: redis.socket,
    OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    SPOOL_DIR: join(dir, `${name}-spool`),
    LOCAL_DIR: join(dir, `${name}-otlp`),
    ...env,
  });
  processes.push(p);
  return p;
}

async function workers(n: number, queue: string, env: Record<string, string> = {}): Promise<FixtureProcess[]> {
  const list = Array.from({ length: n }, (_, i) =>
    spawnProcess(`${queue}-worker-${i}`, WORKER, { QUEUE: queue, SERVICE_NAME: 'batchtel-test-worker', ...env }),
  );
  await Promise.all(list.map((w) => w.waitFor('ready', (p) => p.events.some((e) => e.ev === 'ready'), 60_000)));
  return list;
}

const summaryOf = (p: FixtureProcess) =>
  p.events.find((e) => e.ev === 'summary') as
    | { result: string; succeeded: number; failed: number; skipped: number; errors: number; rateLimitHits: number }
    | undefined;

/** `done/total` numbers of the follower's plain progress lines, in order. */
const progressOf = (p: FixtureProcess, total: number): number[] =>
  p.lines.flatMap((line) => {
    const match = new RegExp(`\\s(\\d+)/${total}\\s`).exec(line);
    return match ? [Number(match[1])] : [];
  });

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
  events?: Array<{ name: string }>;
  instance: string | undefined;
}

function receivedSpans(): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const request of sink.of('traces')) {
    const body = request.json as { resourceSpans?: Array<{ resource?: { attributes?: OtlpSpan['attributes'] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };
    for (const rs of body.resourceSpans ?? []) {
      const instance = rs.resource?.attributes?.find((a) => a.key === 'service.instance.id')?.value.stringValue;
      for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push({ ...span, instance });
    }
  }
  return spans;
}
const attr = (span: OtlpSpan, key: string): string | number | undefined => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

/** SSE frames of the board's live events, read in the background. */
function readBoardEvents(url: string, token: string): { frames: Array<{ type: string; data: Record<string, unknown> }>; stop: () => void } {
  const frames: Array<{ type: string; data: Record<string, unknown> }> = [];
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(`${url}/api/batch/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    const reader = response.body!.getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += new TextDecoder().decode(value);
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (type && data) frames.push({ type, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  })().catch(() => undefined);
  return { frames, stop: () => controller.abort() };
}

async function ledger(queue: string, runId: string): Promise<Record<string, string>> {
  const client = new Redis(redis.connection);
  try {
    return await client.hgetall(`bull:${queue}:batchtel:${runId}`);
  } finally {
    client.disconnect();
  }
}

describe('distributed runs on BullMQ (real Redis, real bullmq, worker processes)', () => {
  it('A: one follower, four workers, 20,000 items in 400 chunks: exact counts, one trace across processes, live progress, 429 pauses the queue', async () => {
    const name = 'scenario-a';
    const total = 20_000;
    const ws = await workers(4, name, { CONCURRENCY: '4', CHUNK_DELAY_MS: '40', FAIL_EVERY: '5', RATE_LIMIT_EVERY: '97', RETRY_AFTER_S: '1' });
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: 'Scenario A', operation: 'scenario_a', total, chunkSize: 50 });
    const follower = spawnProcess(`${name}-follower`, FOLLOWER, { QUEUE: name, RUN_ID: run.id, SERVICE_NAME: 'batchtel-test-follower' });
    await follower.waitFor('board', (p) => p.events.some((e) => e.ev === 'board'), 60_000);
    const board = readBoardEvents(String(follower.events.find((e) => e.ev === 'board')!['url']), 'test-token-0123456789');
    await follower.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 30_000);
    // BullMQ's limiter key, sampled through the run: the pause a 429 set, as Redis holds it.
    const probe = new Redis(redis.connection);
    let maxPauseMs = 0;
    let probing = true;
    const probed = (async () => {
      while (probing) {
        // A pause is the key at MAX_SAFE_INTEGER; otherwise it is the limiter's job counter.
        const [[, value], [, pttl]] = (await probe.multi().get(`bull:${name}:limiter`).pttl(`bull:${name}:limiter`).exec()) as [
          [null, string | null],
          [null, number],
        ];
        if (Number(value) >= 2 ** 50) maxPauseMs = Math.max(maxPauseMs, pttl);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await run.enqueue(Array.from({ length: total }, (_, i) => i));
    await follower.waitFor('summary', (p) => summaryOf(p) !== undefined, 120_000);
    probing = false;
    await probed;
    probe.disconnect();
    board.stop();
    const summary = summaryOf(follower)!;

    // Counted once, exactly: 400 chunks, every fifth with one failed item.
    expect(summary.result).toBe('success');
    expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
    expect(summary.failed).toBe(80);
    expect(summary.skipped).toBe(0);
    const settled = await ledger(name, run.id);
    expect(Number(settled['settled'])).toBe(400);

    // The follower's progress was visible while the run went on, on the terminal and on the board.
    const frames = progressOf(follower, total);
    expect(frames.filter((n) => n > 0 && n < total).length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!).toBeGreaterThanOrEqual(frames[i - 1]!);
    const sse = board.frames.filter((f) => f.type === 'batch:progress' && f.data['id'] === run.id).map((f) => Number(f.data['processed_items']));
    expect(sse.filter((n) => n > 0 && n < total).length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < sse.length; i++) expect(sse[i]!).toBeGreaterThanOrEqual(sse[i - 1]!);

    // A 429 paused the whole queue (every worker) for at least its Retry-After.
    const all = ws.flatMap((w) => w.events);
    const hits = all.filter((e) => e.ev === '429');
    expect(hits.length).toBeGreaterThanOrEqual(3);
    expect(summary.rateLimitHits).toBe(hits.length);
    expect(maxPauseMs).toBeGreaterThan(900);
    expect(maxPauseMs).toBeLessThanOrEqual(1000);
    const starts = all
      .filter((e) => e.ev === 'start')
      .map((e) => e.at)
      .sort((a, b) => a - b);
    for (const hit of hits) {
      // The pause is set a moment after the 429 (chunks may start in between): then no worker starts a chunk for Retry-After.
      const retryAfter = Number(hit['retryAfterMs']);
      const after = [hit.at, ...starts.filter((at) => at >= hit.at)];
      const gaps = after.slice(1).map((at, i) => ({ from: after[i]!, length: at - after[i]! }));
      // Start lines are printed when a handler runs, a moment after BullMQ handed out the job: on a loaded
      // machine that lag blurs the edges of the pause by up to a few hundred ms (its length in Redis is checked above).
      const pause = gaps.find((g) => g.from <= hit.at + 2000 && g.length >= retryAfter - 250);
      expect(
        pause,
        `no pause of ${retryAfter} ms across the workers after the 429 at ${hit.at}: ${JSON.stringify(gaps.filter((g) => g.length > 50).slice(0, 12))}`,
      ).toBeDefined();
      const again = all.find((e) => e.ev === 'start' && e['chunk'] === hit['chunk'] && e.at > hit.at);
      expect(again!.at - hit.at).toBeGreaterThanOrEqual(retryAfter - 250);
    }

    // One trace: the run span and every chunk span, parented across processes, from four service.instance.ids.
    await Promise.all(ws.map((w) => w.stop()));
    await follower.exited;
    const spans = receivedSpans();
    const traceId = run.context.traceparent.split('-')[1]!;
    const runSpanId = run.context.traceparent.split('-')[2]!;
    const runSpan = spans.find((s) => s.name === sc.spanNameRun('scenario_a'));
    expect(runSpan?.traceId).toBe(traceId);
    expect(runSpan?.spanId).toBe(runSpanId);
    const chunkSpans = spans.filter((s) => s.name === sc.spanNameChunk('scenario_a'));
    expect(new Set(chunkSpans.map((s) => attr(s, sc.ATTR_BATCH_CHUNK_INDEX))).size).toBe(400);
    for (const span of chunkSpans) {
      expect(span.traceId).toBe(traceId);
      expect(span.parentSpanId).toBe(runSpanId);
    }
    expect(new Set(chunkSpans.map((s) => s.instance)).size).toBe(4);
    expect(runSpan?.instance).toBeDefined();
    expect(chunkSpans.map((s) => s.instance)).not.toContain(runSpan?.instance);
    await run.close();
    await queue.close();
  });

  it('B: a worker killed (kill -9) mid-chunk: the run completes with exact totals, the chunk counted once, its retry a span event', async () => {
    const name = 'scenario-b';
    const total = 3000;
    const ws = await workers(3, name, { CONCURRENCY: '2', CHUNK_DELAY_MS: '300', FAIL_EVERY: '5', LOCK_MS: '2000', STALLED_INTERVAL_MS: '1000' });
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: 'Scenario B', operation: 'scenario_b', total, chunkSize: 50 });
    const follower = spawnProcess(`${name}-follower`, FOLLOWER, { QUEUE: name, RUN_ID: run.id, SERVICE_NAME: 'batchtel-test-follower' });
    await follower.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 60_000);
    await run.enqueue(Array.from({ length: total }, (_, i) => i));
    const victim = ws[0]!;
    const unfinished = (p: FixtureProcess) => {
      const done = new Set(p.events.filter((e) => e.ev === 'done').map((e) => e['chunk']));
      return p.events.filter((e) => e.ev === 'start' && !done.has(e['chunk'])).map((e) => Number(e['chunk']));
    };
    // Killed while a chunk that started a moment ago (of its 300 ms) is surely still running.
    const fresh = (p: FixtureProcess) =>
      p.events.filter((e) => e.ev === 'done').length >= 2 &&
      p.events.some((e) => e.ev === 'start' && Date.now() - e.at < 100 && unfinished(p).includes(Number(e['chunk'])));
    await victim.waitFor('a chunk in progress after a few done', fresh, 60_000);
    victim.kill9();
    await victim.exited;
    const killed = unfinished(victim).filter((chunk) => victim.events.some((e) => e.ev === 'start' && e['chunk'] === chunk && Date.now() - e.at < 2000));
    expect(killed.length).toBeGreaterThan(0);

    await follower.waitFor('summary', (p) => summaryOf(p) !== undefined, 120_000);
    const summary = summaryOf(follower)!;
    expect(summary.result).toBe('success');
    expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
    expect(summary.failed).toBe(12);
    expect(Number((await ledger(name, run.id))['settled'])).toBe(60);
    // The killed chunks ran again elsewhere (BullMQ's stalled-job recovery), and count once.
    for (const chunk of killed) {
      expect(ws.slice(1).some((w) => w.events.some((e) => e.ev === 'start' && e['chunk'] === chunk))).toBe(true);
      const job = await queue.getJob(`${run.id}-${chunk}`);
      expect(job?.stalledCounter).toBe(1);
    }
    await Promise.all(ws.slice(1).map((w) => w.stop()));
    await follower.exited;
    const retried = receivedSpans().filter(
      (s) =>
        s.name === sc.spanNameChunk('scenario_b') &&
        killed.includes(Number(attr(s, sc.ATTR_BATCH_CHUNK_INDEX))) &&
        (s.events ?? []).some((e) => e.name === sc.SPAN_EVENT_CHUNK_RETRY),
    );
    expect(retried.length).toBeGreaterThan(0);
    await run.close();
    await queue.close();
  });

  it('C: the follower killed (kill -9) mid-run: a new one attaches by run ID, resumes at the right count, and finishes with exact totals and one summary', async () => {
    const name = 'scenario-c';
    const total = 10_000;
    const ws = await workers(2, name, { CONCURRENCY: '4', CHUNK_DELAY_MS: '150', FAIL_EVERY: '5' });
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: 'Scenario C', operation: 'scenario_c', total, chunkSize: 50 });
    const first = spawnProcess(`${name}-follower-1`, FOLLOWER, { QUEUE: name, RUN_ID: run.id, SERVICE_NAME: 'batchtel-test-follower' });
    await first.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 60_000);
    await run.enqueue(Array.from({ length: total }, (_, i) => i));
    await first.waitFor('progress past 20%', (p) => progressOf(p, total).some((n) => n >= 2000), 60_000);
    first.kill9();
    await first.exited;
    const lastSeen = Math.max(...progressOf(first, total));

    const second = spawnProcess(`${name}-follower-2`, FOLLOWER, { QUEUE: name, RUN_ID: run.id, SERVICE_NAME: 'batchtel-test-follower' });
    await second.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 60_000);
    const resumedAt = Number(second.events.find((e) => e.ev === 'following')!['completed']);
    expect(resumedAt).toBeGreaterThanOrEqual(lastSeen);
    expect(resumedAt).toBeLessThanOrEqual(total);
    await second.waitFor('summary', (p) => summaryOf(p) !== undefined, 120_000);
    const summary = summaryOf(second)!;
    expect(summary.result).toBe('success');
    expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
    expect(summary.failed).toBe(40);
    expect(summaryOf(first)).toBeUndefined();
    await second.exited;
    await Promise.all(ws.map((w) => w.stop()));
    const runSpans = receivedSpans().filter((s) => s.name === sc.spanNameRun('scenario_c'));
    expect(runSpans).toHaveLength(1);
    expect(runSpans[0]!.spanId).toBe(run.context.traceparent.split('-')[2]);
    await run.close();
    await queue.close();
  });

  it("C2: the follower killed (kill -9) right after claiming the run's end: a follower attached by run ID takes the end over, with one run span and one summary", async () => {
    const name = 'scenario-c2';
    // Long enough that the second follower, a fresh process, attaches while the lease still runs on a loaded machine (6 s was not: 6.8 s once).
    const leaseMs = 12_000;
    const total = 2000;
    const ws = await workers(2, name, { CONCURRENCY: '4', CHUNK_DELAY_MS: '20', FAIL_EVERY: '5' });
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: 'Scenario C2', operation: 'scenario_c2', total, chunkSize: 50 });
    const first = spawnProcess(`${name}-follower-1`, FOLLOWER, {
      QUEUE: name,
      RUN_ID: run.id,
      SERVICE_NAME: 'batchtel-test-follower',
      DIE_AFTER_CLAIM: '1',
      FINISH_LEASE_MS: String(leaseMs),
    });
    await first.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 60_000);
    await run.enqueue(Array.from({ length: total }, (_, i) => i));
    await first.waitFor('the claim', (p) => p.events.some((e) => e.ev === 'claimed'), 60_000);
    expect(await first.exited).toBeNull();
    expect(first.child.signalCode).toBe('SIGKILL');

    // The dead follower's claim is a lease, never renewed: the new follower, attached while it runs, waits it out and finishes the run itself.
    const second = spawnProcess(`${name}-follower-2`, FOLLOWER, { QUEUE: name, RUN_ID: run.id, SERVICE_NAME: 'batchtel-test-follower' });
    await second.waitFor('summary', (p) => summaryOf(p) !== undefined, 60_000);
    const claimedAt = first.events.find((e) => e.ev === 'claimed')!.at;
    expect(second.events.find((e) => e.ev === 'following')!.at - claimedAt, 'the new follower attached after the lease ran out').toBeLessThan(leaseMs);
    // Not before the lease ran out (Redis's clock, on this machine; the claim was made a moment before it was printed).
    expect(second.events.find((e) => e.ev === 'summary')!.at - claimedAt).toBeGreaterThanOrEqual(leaseMs - 200);
    const summary = summaryOf(second)!;
    expect(summary.result).toBe('success');
    expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
    expect(summary.failed).toBe(8);
    expect(second.events.find((e) => e.ev === 'summary')!['finishedHere']).toBe(true);
    expect(summaryOf(first)).toBeUndefined();
    await second.exited;
    await Promise.all(ws.map((w) => w.stop()));
    const runSpans = receivedSpans().filter((s) => s.name === sc.spanNameRun('scenario_c2'));
    expect(runSpans).toHaveLength(1);
    expect(runSpans[0]!.spanId).toBe(run.context.traceparent.split('-')[2]);
    expect(attr(runSpans[0]!, sc.ATTR_BATCH_ITEMS_SUCCEEDED)).toBe(total - 8);
    expect(attr(runSpans[0]!, sc.ATTR_BATCH_ITEMS_FAILED)).toBe(8);
    expect(attr(runSpans[0]!, sc.ATTR_BATCH_RUN_RESULT)).toBe('success');
    const finished = sink.logRecords().filter((r) => r.eventName === sc.EVENT_BATCH_RUN_FINISHED && JSON.stringify(r).includes(run.id));
    expect(finished).toHaveLength(1);
    expect((await ledger(name, run.id))['finished']).toBe('success');
    await run.close();
    await queue.close();
  });

  it('D: cancel mid-run: waiting jobs removed, active handlers see the abort, result cancelled, counts exact', async () => {
    const name = 'scenario-d';
    const total = 5000;
    const ws = await workers(2, name, { CONCURRENCY: '2', CHUNK_DELAY_MS: '400', FAIL_EVERY: '5' });
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: 'Scenario D', operation: 'scenario_d', total, chunkSize: 50 });
    const follower = spawnProcess(`${name}-follower`, FOLLOWER, { QUEUE: name, RUN_ID: run.id, SERVICE_NAME: 'batchtel-test-follower' });
    await follower.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 60_000);
    await run.enqueue(Array.from({ length: total }, (_, i) => i));
    await follower.waitFor('some progress', (p) => progressOf(p, total).some((n) => n >= 500), 60_000);
    await run.cancel();
    expect(await queue.getWaitingCount()).toBe(0);
    await follower.waitFor('summary', (p) => summaryOf(p) !== undefined, 60_000);
    const summary = summaryOf(follower)!;
    expect(summary.result).toBe('cancellation');
    expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
    expect(summary.skipped).toBeGreaterThan(0);
    expect(ws.some((w) => w.events.some((e) => e.ev === 'abort'))).toBe(true);
    expect(await queue.getWaitingCount()).toBe(0);
    expect(await queue.getActiveCount()).toBe(0);
    await Promise.all(ws.map((w) => w.stop()));
    await run.close();
    await queue.close();
  });

  it('chunkSize sets the items per chunk job; batchSize, its deprecated alias, still does, and chunkSize wins when both are given', async () => {
    const queue = new Queue('chunk-size', { connection: redis.connection });
    const sizes = async (options: { chunkSize?: number; batchSize?: number }) => {
      const run = await startRun({ queue, name: 'Chunk size', total: 20, ...options });
      const result = await run.enqueue(Array.from({ length: 20 }, (_, i) => i));
      const jobs = await Promise.all(Array.from({ length: result.chunks }, (_, i) => queue.getJob(chunkJobId(run.id, i))));
      await run.close();
      return jobs.map((job) => (job?.data as { items: number[] }).items.length);
    };
    expect(await sizes({ chunkSize: 8 })).toEqual([8, 8, 4]);
    expect(await sizes({ batchSize: 10 })).toEqual([10, 10]);
    expect(await sizes({ chunkSize: 5, batchSize: 10 })).toEqual([5, 5, 5, 5]);
    expect(await sizes({})).toEqual([20]);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it("E: a chunk cancelled through BullMQ's Worker.cancelJob aborts its handler's signal: its items are skipped, the job completes", async () => {
    const name = 'scenario-e';
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: 'Scenario E', operation: 'scenario_e', total: 20, chunkSize: 10 });
    const started: number[] = [];
    const aborted: Array<{ chunk: number; reason: unknown }> = [];
    const processor = chunkProcessor<number>(
      (_items, ctx) =>
        new Promise<void>((resolve, reject) => {
          started.push(ctx.index);
          // Chunk 1 ends by itself; chunk 0 waits for its abort.
          if (ctx.index === 1) return resolve();
          ctx.signal.addEventListener('abort', () => {
            aborted.push({ chunk: ctx.index, reason: ctx.signal.reason });
            reject(ctx.signal.reason);
          });
        }),
      { connection: redis.connection },
    );
    const worker = new Worker(name, processor, workerOptions({ connection: redis.connection, concurrency: 2 }));
    const outcomes = new Map<string, ChunkOutcome>();
    worker.on('completed', (job, result: ChunkOutcome) => outcomes.set(job.id!, result));
    await run.enqueue(Array.from({ length: 20 }, (_, i) => i));
    const deadline = Date.now() + 30_000;
    while (!(started.includes(0) && outcomes.size === 1) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(worker.cancelJob(chunkJobId(run.id, 0), 'operator stop')).toBe(true);
    while (outcomes.size < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(aborted).toEqual([{ chunk: 0, reason: 'operator stop' }]);
    expect(outcomes.get(chunkJobId(run.id, 0))).toMatchObject({ chunk: 0, succeeded: 0, failed: 0, skipped: 10 });
    expect(outcomes.get(chunkJobId(run.id, 1))).toMatchObject({ chunk: 1, succeeded: 10, failed: 0, skipped: 0 });
    expect(await (await queue.getJob(chunkJobId(run.id, 0)))?.getState()).toBe('completed');
    await worker.close();
    await processor.close();
    await run.close();
    await queue.close();
  });

  it('F: two followers at once: both see the final counts, and the run has exactly one summary event and one run span', async () => {
    const name = 'scenario-f';
    const total = 2000;
    const ws = await workers(2, name, { CONCURRENCY: '4', CHUNK_DELAY_MS: '20', FAIL_EVERY: '5' });
    const queue = new Queue(name, { connection: redis.connection });
    const run = await startRun({ queue, name: 'Scenario F', operation: 'scenario_f', total, chunkSize: 50 });
    const followers = [1, 2].map((i) =>
      spawnProcess(`${name}-follower-${i}`, FOLLOWER, { QUEUE: name, RUN_ID: run.id, SERVICE_NAME: 'batchtel-test-follower' }),
    );
    await Promise.all(followers.map((f) => f.waitFor('following', (p) => p.events.some((e) => e.ev === 'following'), 60_000)));
    await run.enqueue(Array.from({ length: total }, (_, i) => i));
    for (const follower of followers) {
      await follower.waitFor('summary', (p) => summaryOf(p) !== undefined, 120_000);
      const summary = summaryOf(follower)!;
      expect(summary.result).toBe('success');
      expect(summary.succeeded + summary.failed + summary.skipped).toBe(total);
      expect(summary.failed).toBe(8);
    }
    await Promise.all(followers.map((f) => f.exited));
    await Promise.all(ws.map((w) => w.stop()));
    const runSpans = receivedSpans().filter((s) => s.name === sc.spanNameRun('scenario_f'));
    expect(runSpans).toHaveLength(1);
    expect(runSpans[0]!.spanId).toBe(run.context.traceparent.split('-')[2]);
    const finished = sink.logRecords().filter((r) => r.eventName === sc.EVENT_BATCH_RUN_FINISHED && JSON.stringify(r).includes(run.id));
    expect(finished).toHaveLength(1);
    // One of them finished the run; the other one saw it finished.
    expect(followers.map((f) => f.events.find((e) => e.ev === 'summary')!['finishedHere']).sort()).toEqual([false, true]);
    await run.close();
    await queue.close();
  });
});
