/**
 * Fault scenarios for durable delivery, each with a real producer process
 * (test/fixtures/delivery-producer.ts, startTelemetry with a configured
 * endpoint) and a real OTLP/HTTP endpoint on loopback that the test scripts:
 * down, restarted, 429 storm, slow, producer SIGKILLed or stopped with
 * SIGTERM while the endpoint is down; and the real collector (agent.yaml)
 * stopped and restarted mid-run. Each reports sent vs received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledFixture } from '../support/bundledFixture.js';
import { OtlpSink } from '../support/otlpSink.js';
import { collectorBinary, freePort, Stack, waitFor as waitForState } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The endpoint the apps export to, free when the file starts: each test brings
 * its sink up (and down) there while the app keeps sending to it.
 */
const PORT = await freePort();
const ENDPOINT = `http://127.0.0.1:${PORT}`;
/** test/fixtures/delivery-producer.ts as one bundled file: each start loads it instead of compiling the sources. */
const PRODUCER = await bundledFixture('test/fixtures/delivery-producer.ts');

interface Producer {
  readonly child: ChildProcess;
  /** `emitted <n> <ms>` lines so far. */
  readonly ticks: Array<{ emitted: number; at: number; rssMb: number }>;
  stats: Record<string, unknown> & { emitted?: number; dropped?: Record<string, number>; pending?: number; delivered?: number; peakRssMb?: number };
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const sinks: OtlpSink[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
});

function produce(env: Record<string, string>): Producer {
  const child = spawn(process.execPath, [PRODUCER], {
    cwd: ROOT,
    env: { ...process.env, ENDPOINT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  const producer: Producer = {
    child,
    ticks: [],
    stats: {},
    output: () => `${out.slice(-2000)}\n${err.slice(-2000)}`,
    // 'close': the exit code and all of stdout.
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'emitted') producer.ticks.push({ emitted: Number(a), at: Number(b), rssMb: Number(c) });
      if (kind === 'stats') producer.stats = JSON.parse(line.slice('stats '.length));
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return producer;
}

async function sink(): Promise<OtlpSink> {
  const s = new OtlpSink();
  sinks.push(s);
  await s.start(PORT);
  return s;
}

/** Distinct `seq` values the endpoint received, and the total count (duplicates included). */
function received(s: OtlpSink): { distinct: Set<number>; total: number } {
  const records = s.logRecords();
  const distinct = new Set<number>();
  for (const r of records) {
    const seq = r.attributes.find((a) => a.key === 'seq')?.value;
    if (seq) distinct.add(Number(seq['intValue'] ?? seq['doubleValue']));
  }
  return { distinct, total: records.length };
}

/** Distinct `seq` values per producer: both emit 0..n-1, told apart by the resource's service.name. */
function receivedBySetup(s: OtlpSink): { batchtel: Set<number>; stock: Set<number> } {
  const bySetup = { batchtel: new Set<number>(), stock: new Set<number>() };
  for (const request of s.of('logs')) {
    for (const rl of (
      request.json as {
        resourceLogs: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
          scopeLogs: Array<{ logRecords: Array<{ attributes: Array<{ key: string; value: Record<string, unknown> }> }> }>;
        }>;
      }
    ).resourceLogs) {
      const service = rl.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
      const set = service === 'delivery-producer' ? bySetup.batchtel : bySetup.stock;
      for (const sl of rl.scopeLogs) for (const r of sl.logRecords) set.add(Number(r.attributes.find((a) => a.key === 'seq')?.value['intValue']));
    }
  }
  return bySetup;
}

const until = (what: string, check: () => boolean, timeoutMs: number, p?: Producer) => waitForState(what, async () => check(), timeoutMs, p?.output);

/**
 * Once everything emitted has arrived (or the deadline passes: the test then fails naming it),
 * stops the producer with SIGTERM and waits for its graceful exit and stats. Ending the run
 * by time instead would race the last retry: a producer that shuts down while the endpoint
 * still fails leaves the rest on disk for the next process, which is another test.
 */
async function stopWhenDelivered(p: Producer, delivered: () => number, total: number): Promise<void> {
  await until(`all ${total} records delivered by the producer`, () => delivered() >= total, 30_000, p);
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

const spoolDir = () => mkdtempSync(join(tmpdir(), 'batchtel-faults-'));
const spooledRecords = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.otlp'))
    .reduce((sum, f) => sum + Number(/-(\d+)\.(?:pb|json)\.otlp$/.exec(f)![1]), 0);

function report(name: string, sent: number, s: OtlpSink, extra = ''): { distinct: Set<number>; total: number } {
  const r = received(s);
  console.log(`${name}: sent ${sent}, received ${r.distinct.size} distinct (${r.total} with duplicates), lost ${sent - r.distinct.size}${extra}`);
  return r;
}

describe('durable delivery under faults (a real producer process and endpoint)', () => {
  it('endpoint down (503) for 10 s mid-run: zero loss (the stock SDK, beside it in the same outage, loses records)', async () => {
    const s = await sink();
    const p = produce({ COUNT: '60000', PER_TICK: '200', TICK_MS: '50', SPOOL_DIR: spoolDir(), THEN: 'wait' });
    const stock = produce({ COUNT: '60000', PER_TICK: '200', TICK_MS: '50', SETUP: 'stock' });
    await until('both producers delivering', () => s.requests >= 2, 30_000, p);
    s.respondWith = () => ({ status: 503 });
    const downAt = Date.now();
    await until('10 s of outage', () => Date.now() - downAt >= 10_000, 15_000);
    s.respondWith = undefined;
    // Only batchtel's records count toward its total: the stock producer emits the same seq values.
    await stopWhenDelivered(p, () => receivedBySetup(s).batchtel.size, 60_000);
    expect(await stock.exited).toBe(0);
    const bySetup = receivedBySetup(s);
    console.log(
      `down 10 s: batchtel sent 60000, received ${bySetup.batchtel.size}, lost ${60_000 - bySetup.batchtel.size} (spooled ${String(p.stats['spooled'])}, replayed ${String(p.stats['replayed'])}, retries ${JSON.stringify(p.stats['retries'])}); stock SDK sent 60000, received ${bySetup.stock.size}, lost ${60_000 - bySetup.stock.size}`,
    );
    expect(bySetup.batchtel.size).toBe(60_000);
    expect(p.stats['spooled']).toBeGreaterThan(0);
    expect(p.stats.dropped).toEqual({});
    expect(bySetup.stock.size).toBeLessThan(60_000);
  }, 90_000);

  it('endpoint restarted (connection refused for 3 s): zero loss', async () => {
    const first = await sink();
    const p = produce({ COUNT: '40000', PER_TICK: '200', TICK_MS: '50', SPOOL_DIR: spoolDir(), THEN: 'wait' });
    await until('the producer to start delivering', () => received(first).total > 0, 30_000, p);
    await first.stop();
    sinks.splice(sinks.indexOf(first), 1);
    // Counted once it is down: what reached it until then.
    const before = received(first);
    const downAt = Date.now();
    await until('3 s with the endpoint gone', () => Date.now() - downAt >= 3000, 5000);
    const restarted = await sink();
    await stopWhenDelivered(p, () => new Set([...before.distinct, ...received(restarted).distinct]).size, 40_000);
    const after = received(restarted);
    const distinct = new Set([...before.distinct, ...after.distinct]);
    console.log(
      `restarted: sent 40000, received ${distinct.size} distinct (${before.total + after.total} with duplicates), lost ${40_000 - distinct.size}; retries ${JSON.stringify(p.stats['retries'])}`,
    );
    expect(distinct.size).toBe(40_000);
    expect(Object.keys(p.stats['retries'] as object).some((reason) => reason.startsWith('E'))).toBe(true);
  }, 60_000);

  it('429 storm with Retry-After: zero loss, no retry sooner than asked', async () => {
    const s = await sink();
    let storm = true;
    // When each request body was last refused: the same request must not come back sooner than Retry-After.
    const refusedAt = new Map<string, number>();
    let early = 0;
    s.respondWith = (_request, body) => {
      const key = createHash('sha1').update(body).digest('hex');
      const last = refusedAt.get(key);
      if (last !== undefined && Date.now() - last < 1000) early++;
      if (!storm) return undefined;
      refusedAt.set(key, Date.now());
      return { status: 429, headers: { 'retry-after': '1' } };
    };
    const p = produce({ COUNT: '60000', PER_TICK: '400', TICK_MS: '50', SPOOL_DIR: spoolDir(), THEN: 'wait' });
    await until('8 refusals', () => s.requests >= 8, 30_000, p);
    storm = false;
    await stopWhenDelivered(p, () => received(s).distinct.size, 60_000);
    const r = report('429 storm', 60_000, s, `; 429s answered ${s.requests - s.received.length}, retries ${JSON.stringify(p.stats['retries'])}`);
    expect(r.distinct.size).toBe(60_000);
    expect(early).toBe(0);
  }, 60_000);

  it('through the real collector: the agent stopped for 3 s and restarted mid-run, every record reaches the log backend', async () => {
    const binary = collectorBinary();
    const backend = new OtlpSink();
    sinks.push(backend);
    const backendUrl = await backend.start();
    const stack = new Stack();
    const agentEnv = {
      BATCHTEL_TRACES_URL: `${backendUrl}/v1/traces`,
      BATCHTEL_LOGS_URL: `${backendUrl}/v1/logs`,
      BATCHTEL_PROMETHEUS_OTLP_URL: 'http://127.0.0.1:1/api/v1/otlp/v1/metrics',
      BATCHTEL_OTLP_ENCODING: 'json',
      BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'batchtel-agent-')),
    };
    try {
      let agent = await stack.collector('agent.yaml', agentEnv, { binary });
      const p = produce({ ENDPOINT: agent.endpoint, COUNT: '30000', PER_TICK: '200', TICK_MS: '50', SPOOL_DIR: spoolDir(), THEN: 'wait' });
      await until('records through the collector', () => received(backend).total > 0, 30_000, p);
      // A graceful stop: the collector finishes what it accepted; what it did not accept is the app's to keep.
      await agent.stop();
      const downAt = Date.now();
      await until('3 s with the collector gone', () => Date.now() - downAt >= 3000, 5000);
      // The same address: the app keeps the endpoint it was given.
      agent = await stack.collector('agent.yaml', agentEnv, { binary, ports: agent.ports });
      await stopWhenDelivered(p, () => received(backend).distinct.size, 30_000);
      const r = report('collector restarted', 30_000, backend, `; retries ${JSON.stringify(p.stats['retries'])}, spooled ${String(p.stats['spooled'])}`);
      expect(r.distinct.size).toBe(30_000);
      expect(p.stats.dropped).toEqual({});
      expect(Object.keys(p.stats['retries'] as object).some((reason) => reason.startsWith('E'))).toBe(true);
    } finally {
      await stack.stop();
    }
  }, 120_000);

  it('slow endpoint (1.5 s per answer): zero loss and the producer is not slowed', async () => {
    const s = await sink();
    s.respondWith = () => ({ status: 200, delayMs: 1500 });
    const p = produce({ COUNT: '10000', PER_TICK: '500', TICK_MS: '50', SPOOL_DIR: spoolDir() });
    await until('all records emitted', () => p.ticks.at(-1)?.emitted === 10_000, 30_000, p);
    const loopMs = p.ticks.at(-1)!.at - p.ticks[0]!.at;
    expect(await p.exited).toBe(0);
    report('slow endpoint', 10_000, s, `; producer loop took ${loopMs} ms for 20 ticks of 50 ms; stats ${JSON.stringify(p.stats)}`);
    expect(received(s).distinct.size).toBe(10_000);
    expect(loopMs).toBeLessThan(5000);
  }, 60_000);

  it('SIGKILL mid-run loses at most the last sync interval; the next process replays the rest', async () => {
    const s = await sink();
    s.respondWith = () => ({ status: 503 });
    const dir = spoolDir();
    const p = produce({ COUNT: '1000000', PER_TICK: '100', TICK_MS: '10', SPOOL_DIR: dir, SYNC_MS: '1000' });
    await until('3 s of records', () => (p.ticks.at(-1)?.at ?? 0) - (p.ticks[0]?.at ?? Infinity) >= 3000, 30_000, p);
    p.child.kill('SIGKILL');
    const killedAt = Date.now();
    await p.exited;
    const sent = p.ticks.at(-1)!.emitted;
    // Everything emitted up to one sync interval before the kill must survive. The write is
    // checked on each tick, so the resolution is the longest gap between the producer's
    // ticks near the end (10 ms nominal, more on a loaded machine).
    const recent = p.ticks.filter((t) => t.at >= killedAt - 3000);
    const resolution = Math.max(20, ...recent.slice(1).map((t, i) => t.at - recent[i]!.at));
    const mustSurvive = [...p.ticks].reverse().find((t) => t.at <= killedAt - 1000 - resolution)?.emitted ?? 0;
    s.respondWith = undefined;
    const next = produce({ COUNT: '0', SPOOL_DIR: dir });
    expect(await next.exited).toBe(0);
    const r = received(s);
    let missingBefore = 0;
    for (let i = 0; i < mustSurvive; i++) if (!r.distinct.has(i)) missingBefore++;
    console.log(
      `SIGKILL: sent ${sent}, received ${r.distinct.size} distinct after replay by the next process (inherited ${String(next.stats['inherited'])}); lost ${sent - r.distinct.size}, of which emitted more than one sync interval (1 s, + ${resolution} ms tick resolution) before the kill: ${missingBefore}`,
    );
    expect(missingBefore).toBe(0);
    expect(sent - r.distinct.size).toBeLessThanOrEqual(sent - mustSurvive);
    expect(next.stats['inherited']).toBeGreaterThan(0);
  }, 60_000);

  it('graceful shutdown with the endpoint down loses nothing: sent = received + spooled + dropped, then the next process delivers the rest', async () => {
    const s = await sink();
    const dir = spoolDir();
    const p = produce({ COUNT: '12000', PER_TICK: '300', TICK_MS: '20', SPOOL_DIR: dir, THEN: 'wait', MAX_BACKOFF_MS: '200' });
    await until('some records delivered', () => received(s).distinct.size >= 1000, 30_000, p);
    s.respondWith = () => ({ status: 503 });
    await until('all records emitted', () => p.ticks.at(-1)?.emitted === 12_000, 30_000, p);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const first = received(s);
    const onDisk = spooledRecords(dir);
    const dropped = Object.values(p.stats.dropped ?? {}).reduce((a, b) => a + b, 0);
    console.log(`graceful shutdown: sent 12000 = received ${first.distinct.size} + spooled ${onDisk} + dropped ${dropped}; stats ${JSON.stringify(p.stats)}`);
    expect(first.distinct.size + onDisk + dropped).toBe(12_000);
    expect(first.total).toBe(first.distinct.size);
    expect(onDisk).toBeGreaterThan(0);
    expect(dropped).toBe(0);
    s.respondWith = undefined;
    const next = produce({ COUNT: '0', SPOOL_DIR: dir });
    expect(await next.exited).toBe(0);
    const all = received(s);
    expect(all.distinct.size).toBe(12_000);
    expect(next.stats['inherited']).toBe(onDisk);
    expect(spooledRecords(dir)).toBe(0);
  }, 60_000);

  it('a long outage at high rate keeps memory bounded; eviction at the spool limit is counted: sent = received + spooled + dropped', async () => {
    const s = await sink();
    s.respondWith = () => ({ status: 503 });
    const dir = spoolDir();
    const total = 1_000_000;
    const p = produce({
      COUNT: String(total),
      PER_TICK: '1000',
      TICK_MS: '5',
      SPOOL_DIR: dir,
      MAX_SPOOL_BYTES: String(16 * 1024 * 1024),
      MAX_BACKOFF_MS: '500',
      SHUTDOWN_MS: '3000',
    });
    expect(await p.exited).toBe(0);
    const r = received(s);
    const onDisk = spooledRecords(dir);
    const dropped = p.stats.dropped ?? {};
    const quarter = (q: number) => p.ticks.slice(Math.floor((q * p.ticks.length) / 4), Math.floor(((q + 1) * p.ticks.length) / 4));
    const peaks = [0, 1, 2, 3].map((q) => Math.max(...quarter(q).map((t) => t.rssMb)));
    const seconds = (p.ticks.at(-1)!.at - p.ticks[0]!.at) / 1000;
    console.log(
      `long outage: ${total} records in ${seconds.toFixed(1)} s, endpoint down throughout: received ${r.distinct.size} + spooled ${onDisk} + evicted ${dropped['evicted'] ?? 0} = ${r.distinct.size + onDisk + (dropped['evicted'] ?? 0)}; peak RSS per quarter of the run ${peaks.join(' / ')} MB`,
    );
    expect(r.distinct.size + onDisk + (dropped['evicted'] ?? 0)).toBe(total);
    expect(dropped['evicted']).toBeGreaterThan(0);
    // Bounded: the last quarter, 750k records in, needs no more memory than the first did.
    expect(Math.max(peaks[2]!, peaks[3]!)).toBeLessThan(peaks[0]! * 1.25 + 16);
  }, 120_000);
});
