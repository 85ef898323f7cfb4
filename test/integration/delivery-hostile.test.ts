/**
 * Hostile conditions for durable delivery, each with a real producer process
 * (test/fixtures/delivery-producer.ts through startTelemetry, bundled) and a real
 * endpoint on loopback: a full disk (a 2 MB tmpfs spool), a read-only spool,
 * an endpoint that answers 200 and then drips a byte every 500 ms, one that
 * answers 200 with a 300 MB body, and one that asks for Retry-After:
 * 99999999. Each prints one line of accounting and asserts it closes
 * exactly: sent = delivered + spooled (on disk, counted from the content) +
 * counted lost. Bounded in count and time; mounts need root (the test fails
 * loudly without it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { countRecords } from '../../src/sdk/delivery/countRecords.js';
import type { DeliveryStats } from '../../src/sdk/index.js';
import { bundledFixture } from '../support/bundledFixture.js';
import { OtlpSink } from '../support/otlpSink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** test/fixtures/delivery-producer.ts as one bundled file: each start loads it instead of compiling the sources. */
const PRODUCER = await bundledFixture('test/fixtures/delivery-producer.ts');

/** The producer's `stats` line: its delivery accounting, what it emitted and its peak memory. */
type Stats = DeliveryStats & { emitted: number; maxRssMb: number };

const children: ChildProcess[] = [];
const servers: Server[] = [];
const sinks: OtlpSink[] = [];
const mounts: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir]);
});

/** Runs the producer to its end; its stats, stderr and how long it took. */
function produce(
  endpoint: string,
  env: Record<string, string>,
  stop?: (child: ChildProcess) => void,
): Promise<{ stats: Stats; stderr: string; ms: number; code: number | null }> {
  const started = Date.now();
  const child = spawn(process.execPath, [PRODUCER], {
    cwd: ROOT,
    env: { ...process.env, ENDPOINT: endpoint, PER_TICK: '2000', TICK_MS: '10', SHUTDOWN_MS: '3000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  stop?.(child);
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('stats '));
      if (!line) return reject(new Error(`the producer printed no stats (exit ${code}):\n${out.slice(-1000)}\n${err.slice(-2000)}`));
      resolve({ stats: JSON.parse(line.slice('stats '.length)) as Stats, stderr: err, ms: Date.now() - started, code });
    }),
  );
}

async function server(handler: RequestListener): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function sink(respond?: OtlpSink['respondWith']): Promise<{ sink: OtlpSink; endpoint: string }> {
  const s = new OtlpSink();
  sinks.push(s);
  s.respondWith = respond;
  return { sink: s, endpoint: await s.start() };
}

/** A tmpfs of this size (and options) as a fresh spool folder. */
function tmpfs(options: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'batchtel-hostile-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Records on disk, counted from the content; files that are not whole requests and leftover .tmp files too. */
function onDisk(dir: string): { records: number; invalid: number; temporary: number } {
  let records = 0;
  let invalid = 0;
  let temporary = 0;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.tmp')) temporary++;
    if (!name.endsWith('.otlp')) continue;
    const n = countRecords(readFileSync(join(dir, name)), name.includes('.json.') ? 'json' : 'protobuf', 'logs');
    if (n === undefined) invalid++;
    else records += n;
  }
  return { records, invalid, temporary };
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Prints `<name>: sent N = delivered D + spooled S + lost L (...)` and asserts it closes, and that the exit-time pending is what is on disk. */
function account(name: string, stats: Stats, spooled: number, extra = ''): void {
  const lost = sum(stats.dropped);
  const reasons = Object.entries(stats.dropped)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  console.log(`${name}: sent ${stats.emitted} = delivered ${stats.delivered} + spooled ${spooled} + lost ${lost}${reasons ? ` (${reasons})` : ''}${extra}`);
  expect(stats.delivered + spooled + lost).toBe(stats.emitted);
  expect(stats.pending).toBe(spooled);
}

type Produced = Awaited<ReturnType<typeof produce>> & { disk: ReturnType<typeof onDisk> };

/**
 * Runs the producer to its end with its spool in `env.SPOOL_DIR`, expects a clean exit, and
 * prints and checks its accounting against what is on disk; `detail` adds to the printed line.
 */
async function produceAccounted(
  name: string,
  endpoint: string,
  env: Record<string, string> & { SPOOL_DIR: string },
  detail: (run: Produced) => string = () => '',
  stop?: (child: ChildProcess) => void,
): Promise<Produced> {
  const result = await produce(endpoint, env, stop);
  expect(result.code).toBe(0);
  const run = { ...result, disk: onDisk(env.SPOOL_DIR) };
  account(name, run.stats, run.disk.records, detail(run));
  return run;
}

describe('durable delivery under hostile conditions (a real producer process, loopback only)', () => {
  it('full disk: a 2 MB tmpfs spool with the endpoint down; nothing truncated is kept, everything not on disk is counted lost at exit, the next process sends the rest whole', async () => {
    const dir = tmpfs('size=2m');
    const down = await sink(() => ({ status: 503 }));
    const first = await produceAccounted(
      'full disk',
      down.endpoint,
      { COUNT: '100000', SPOOL_DIR: dir, MAX_BACKOFF_MS: '200' },
      ({ disk }) => `; files cut short ${disk.invalid}, .tmp left ${disk.temporary}`,
    );
    const { disk } = first;
    expect(first.stats.emitted).toBe(100_000);
    expect(disk).toMatchObject({ invalid: 0, temporary: 0 });
    expect(disk.records).toBeGreaterThan(0);
    expect(first.stats.dropped['spool_unavailable']).toBeGreaterThan(0);
    // The endpoint back: the next process sends what the disk kept, whole (no 400 for a truncated request).
    down.sink.respondWith = undefined;
    const next = await produce(down.endpoint, { COUNT: '0', SPOOL_DIR: dir });
    console.log(`full disk, next process: inherited ${next.stats.inherited}, delivered ${next.stats.delivered}, lost ${sum(next.stats.dropped)}`);
    expect(next.stats.inherited).toBe(disk.records);
    expect(next.stats.delivered).toBe(disk.records);
    expect(next.stats.dropped).toEqual({});
  }, 120_000);

  it('read-only spool: memory-only delivery, and what the endpoint (down) did not take is counted lost at exit, not left "pending"', async () => {
    const dir = tmpfs('size=1m,ro');
    const down = await sink(() => ({ status: 503 }));
    const result = await produceAccounted('read-only spool', down.endpoint, { COUNT: '40000', SPOOL_DIR: dir, MAX_BACKOFF_MS: '200', OTEL_LOG_LEVEL: 'warn' });
    expect(result.disk.records).toBe(0);
    expect(result.stats.dropped).toEqual({ spool_unavailable: 40_000 });
    expect(result.stderr.match(/spool .* cannot be (used|written)/g)).toHaveLength(1);
    // The exit path says where everything went.
    expect(result.stderr).toContain(
      'logs at exit: accepted 40000 + inherited 0 = delivered 0 + rejected 0 + left in the spool 0 + lost 40000 (40000 spool_unavailable)',
    );
  }, 60_000);

  it('slow drip: an endpoint that answers 200 then a byte every 500 ms; requests end at the timeout, the process exits, nothing is lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-hostile-drip-'));
    const endpoint = await server((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => response.write(' '), 500);
      response.on('close', () => clearInterval(drip));
    });
    const result = await produceAccounted(
      'slow drip',
      endpoint,
      { COUNT: '6000', SPOOL_DIR: dir, TIMEOUT_MS: '1000', SHUTDOWN_MS: '2000' },
      ({ ms, stats }) => `; exited ${ms} ms after start, retries ${JSON.stringify(stats.retries)}`,
    );
    expect(result.stats.retries['timeout']).toBeGreaterThan(0);
    expect(result.stats.dropped).toEqual({});
    expect(result.ms).toBeLessThan(20_000);
  }, 60_000);

  it('huge body: a 200 with a 300 MB body is not buffered; delivery completes and memory stays flat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-hostile-huge-'));
    const chunk = Buffer.alloc(1024 * 1024, ' ');
    let poured = 0;
    let requests = 0;
    const endpoint = await server((request, response) => {
      request.resume();
      request.on('end', () => {
        requests++;
        response.writeHead(200, { 'content-type': 'application/json' });
        let left = 300;
        const pour = () => {
          while (left > 0) {
            left--;
            poured += chunk.length;
            if (!response.write(chunk)) return void response.once('drain', pour);
          }
          response.end();
        };
        pour();
      });
    });
    const result = await produceAccounted(
      'huge body',
      endpoint,
      { COUNT: '10000', SPOOL_DIR: dir },
      ({ stats }) =>
        `; ${requests} requests answered with 300 MB each, ${Math.round(poured / 1048576)} MB got out before the producer hung up, producer peak RSS ${stats.maxRssMb} MB`,
    );
    expect(result.stats.delivered).toBe(10_000);
    expect(poured).toBeLessThan(requests * 100 * chunk.length);
    expect(result.stats.maxRssMb).toBeLessThan(300);
  }, 60_000);

  it('Retry-After: 99999999 for one record: one request, not a storm, no TimeoutOverflowWarning; the record waits on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-hostile-retry-after-'));
    const { sink: s, endpoint } = await sink(() => ({ status: 429, headers: { 'retry-after': '99999999' } }));
    let stopAfterMs = 0;
    const result = await produceAccounted(
      'Retry-After 99999999',
      endpoint,
      { COUNT: '1', SPOOL_DIR: dir, THEN: 'wait' },
      ({ stderr }) =>
        `; ${s.requests} requests in ${(stopAfterMs / 1000).toFixed(1)} s, TimeoutOverflowWarning lines ${(stderr.match(/TimeoutOverflowWarning/g) ?? []).length}`,
      (child) => {
        const started = Date.now();
        // A fixed 3 s window, then SIGTERM: how many requests one record caused in it.
        setTimeout(() => {
          stopAfterMs = Date.now() - started;
          child.kill('SIGTERM');
        }, 3000);
      },
    );
    expect(s.requests).toBe(1);
    expect(result.stderr).not.toContain('TimeoutOverflowWarning');
    expect(result.disk.records).toBe(1);
  }, 60_000);

  it('an endpoint variable without a scheme: the app runs on and exits normally, one warning names the variable, the records go to the valid endpoint', async () => {
    // An endpoint option without a scheme is a construction error; from the environment it
    // must never take the app down (it once crashed it with ERR_INVALID_PROTOCOL from the send path).
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-hostile-url-'));
    const { sink: s, endpoint } = await sink();
    const result = await produceAccounted(
      'endpoint variable without a scheme',
      'env',
      {
        COUNT: '5000',
        SPOOL_DIR: dir,
        OTEL_LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'collector:4318/v1/logs',
      },
      () => `; endpoint received ${s.logRecords().length}`,
    );
    expect(result.stats.delivered).toBe(5000);
    expect(s.logRecords()).toHaveLength(5000);
    expect(result.stderr).not.toMatch(/unhandled|ERR_INVALID_PROTOCOL/i);
    expect(result.stderr.match(/OTEL_EXPORTER_OTLP_LOGS_ENDPOINT/g)).toHaveLength(1);
  }, 60_000);

  it('a spool folder that is a regular file: startTelemetry does not fail, delivery runs from memory, one warning', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'batchtel-hostile-file-')), 'spool');
    writeFileSync(file, 'not a folder');
    const { sink: s, endpoint } = await sink();
    const result = await produce(endpoint, { COUNT: '10000', SPOOL_DIR: file, OTEL_LOG_LEVEL: 'warn' });
    expect(result.code).toBe(0);
    account('spool folder is a file', result.stats, 0, `; endpoint received ${s.logRecords().length}`);
    expect(result.stats.delivered).toBe(10_000);
    expect(s.logRecords()).toHaveLength(10_000);
    expect(result.stderr.match(/cannot be used/g)).toHaveLength(1);
  }, 60_000);
});
