/**
 * A collector outage of minutes at a high rate: memory stays bounded, the
 * spool stays within its limit, and once the endpoint is back the accounting
 * closes exactly (received + evicted = sent). Run: `npm run bench:outage`
 * (`-- --seconds=N`, default 180).
 *
 * The producer is the fault tests' (test/fixtures/delivery-producer.ts:
 * startTelemetry, http/json, numbered log records); during the outage nothing
 * listens on the port (connection refused). Then a counting endpoint starts,
 * the spool drains, and the producer is stopped gracefully for its stats.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const SECONDS = arg('seconds', 180);
const PER_TICK = 500;
const TICK_MS = 10;
const SPOOL_LIMIT = 64 * 1024 * 1024;
const PORT = 14_998;
const WINDOW_S = 30;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
// Upper bound on what can be emitted: the producer's ticks are at least TICK_MS apart.
const COUNT = Math.ceil((SECONDS * 1000) / TICK_MS) * PER_TICK;

const spool = mkdtempSync(join(tmpdir(), 'batchtel-outage-'));
const spoolBytes = () =>
  readdirSync(spool).reduce((sum, f) => sum + (f.endsWith('.otlp') ? (statSync(join(spool, f), { throwIfNoEntry: false })?.size ?? 0) : 0), 0);

console.log(
  `\noutage benchmark: delivery producer (startTelemetry, http/json) at up to ${(PER_TICK / TICK_MS).toFixed(0)}k log records/s, ` +
    `endpoint refusing connections for ${SECONDS} s, spool limit ${SPOOL_LIMIT / 2 ** 20} MB`,
);

const producer = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/delivery-producer.ts'], {
  cwd: ROOT,
  env: {
    ...process.env,
    ENDPOINT: `http://127.0.0.1:${PORT}`,
    COUNT: String(COUNT),
    PER_TICK: String(PER_TICK),
    TICK_MS: String(TICK_MS),
    SPOOL_DIR: spool,
    MAX_SPOOL_BYTES: String(SPOOL_LIMIT),
    MAX_BACKOFF_MS: '2000',
    THEN: 'wait',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const exited = new Promise<number | null>((resolve) => producer.on('close', resolve));
const ticks: Array<{ emitted: number; at: number; rssMb: number }> = [];
let stats: { emitted?: number; delivered?: number; pending?: number; dropped?: Record<string, number>; spooled?: number; replayed?: number } = {};
let partial = '';
producer.stdout.on('data', (chunk: Buffer) => {
  const lines = (partial + chunk.toString()).split('\n');
  partial = lines.pop()!;
  for (const line of lines) {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'emitted') ticks.push({ emitted: Number(a), at: Number(b), rssMb: Number(c) });
    if (kind === 'stats') stats = JSON.parse(line.slice('stats '.length));
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const spoolSamples: Array<{ at: number; bytes: number }> = [];
while (Date.now() - started < SECONDS * 1000) {
  await sleep(1000);
  spoolSamples.push({ at: Date.now(), bytes: spoolBytes() });
  if (producer.exitCode !== null) throw new Error(`the producer exited during the outage (${producer.exitCode})`);
}
const emittedDuringOutage = ticks.at(-1)?.emitted ?? 0;

// The endpoint is back: count distinct seq values as they arrive, keep nothing else.
const seen = new Uint8Array(COUNT);
let distinct = 0;
let total = 0;
const sink = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let raw = Buffer.concat(chunks);
    if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const body = JSON.parse(raw.toString('utf8')) as {
      resourceLogs?: Array<{ scopeLogs: Array<{ logRecords: Array<{ attributes: Array<{ key: string; value: { intValue?: string | number } }> }> }> }>;
    };
    for (const rl of body.resourceLogs ?? [])
      for (const sl of rl.scopeLogs)
        for (const record of sl.logRecords) {
          const seq = Number(record.attributes.find((a) => a.key === 'seq')?.value.intValue);
          total++;
          if (seen[seq] === 0) {
            seen[seq] = 1;
            distinct++;
          }
        }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => sink.listen(PORT, '127.0.0.1', resolve));
const backAt = Date.now();
while (readdirSync(spool).some((f) => f.endsWith('.otlp')) || (ticks.at(-1)?.emitted ?? 0) < COUNT) {
  if (Date.now() - backAt > 300_000) throw new Error('the spool did not drain within 5 minutes of the endpoint coming back');
  await sleep(200);
}
const drainedS = (Date.now() - backAt) / 1000;
producer.kill('SIGTERM');
if ((await exited) !== 0) throw new Error('the producer did not exit cleanly');
sink.close();
sink.closeAllConnections();
rmSync(spool, { recursive: true, force: true });

const sent = stats.emitted ?? 0;
const evicted = stats.dropped?.['evicted'] ?? 0;
const otherDrops = Object.entries(stats.dropped ?? {}).filter(([reason]) => reason !== 'evicted');
const outageTicks = ticks.filter((t) => t.at - started <= SECONDS * 1000);
const windows: Array<{ label: string; emitted: number; peakRss: number; peakSpoolMb: number }> = [];
for (let from = 0; from < SECONDS; from += WINDOW_S) {
  const inWindow = (at: number) => at - started >= from * 1000 && at - started < (from + WINDOW_S) * 1000;
  const t = outageTicks.filter((tick) => inWindow(tick.at));
  if (t.length === 0) continue;
  windows.push({
    label: `${from}-${Math.min(from + WINDOW_S, SECONDS)} s`,
    emitted: t.at(-1)!.emitted - (outageTicks[outageTicks.indexOf(t[0]!) - 1]?.emitted ?? 0),
    peakRss: Math.max(...t.map((tick) => tick.rssMb)),
    peakSpoolMb: Math.max(0, ...spoolSamples.filter((s) => inWindow(s.at)).map((s) => s.bytes / 2 ** 20)),
  });
}
const pad = (value: string | number, width: number) => String(value).padStart(width);
console.log(`  ${'outage window'.padEnd(14)}${pad('emitted', 10)}${pad('peak RSS MB', 13)}${pad('spool MB', 10)}`);
for (const w of windows) console.log(`  ${w.label.padEnd(14)}${pad(w.emitted, 10)}${pad(w.peakRss.toFixed(1), 13)}${pad(w.peakSpoolMb.toFixed(1), 10)}`);
console.log(`  emitted during the outage:  ${emittedDuringOutage} records in ${SECONDS} s (${Math.round(emittedDuringOutage / SECONDS)}/s)`);
console.log(`  after the endpoint is back: the rest emitted and the spool drained in ${drainedS.toFixed(1)} s`);
console.log(
  `  accounting:                 sent ${sent} = received ${distinct} + evicted ${evicted} + other drops ${otherDrops.reduce((a, [, n]) => a + n, 0)} + pending ${stats.pending ?? 0} (duplicates ${total - distinct})`,
);

const first = windows[0]!;
const last = windows.at(-1)!;
const checks: Array<[boolean, string]> = [
  [
    sent === distinct + evicted && otherDrops.length === 0 && (stats.pending ?? 0) === 0,
    'accounting closes exactly: sent = received + evicted, nothing pending, no other drops',
  ],
  [evicted > 0, 'the outage outgrew the spool (eviction exercised and counted)'],
  [
    last.peakRss <= first.peakRss * 1.25 + 16,
    `memory bounded: peak RSS in the last window (${last.peakRss.toFixed(1)} MB) <= first window (${first.peakRss.toFixed(1)} MB) x 1.25 + 16 MB`,
  ],
  [Math.max(...windows.map((w) => w.peakSpoolMb)) <= SPOOL_LIMIT / 2 ** 20 + 4, 'spool within its limit (+ one batch file being written)'],
];
console.log('targets');
for (const [ok, what] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`);
process.exitCode = checks.every(([ok]) => ok) ? 0 : 1;
