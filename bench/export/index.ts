/**
 * End-to-end export benchmark: batchtel's durable delivery against the stock
 * SDK setup, same endpoint, same loops, one run. Run: `npm run bench:export`.
 *
 * Loops: tight (synchronous), yielding (setImmediate every 512), paced (512
 * per 10 ms: slow enough that stock drops nothing, the fair comparison).
 * Each row is a fresh producer process (bench/export/producer.ts) on one core;
 * the endpoint (bench/export/countingSink.ts) is another process that counts
 * what arrives. Delivered/s is records received over the time from the first
 * record emitted to the last request received. Targets (issue #4): zero drops
 * in every batchtel row; >= 100k spans/s and >= 200k log records/s delivered;
 * never slower than stock where stock drops nothing.
 */
import { execFileSync, fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const PORT = 14_999;
const ENDPOINT = `http://127.0.0.1:${PORT}`;
const COUNTS = { spans: 200_000, logs: 400_000 } as const;
const compression = (process.argv.find((a) => a.startsWith('--compression='))?.split('=')[1] ?? 'gzip') as 'gzip' | 'none';
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface Stats {
  records: number;
  requests: number;
  wireBytes: number;
  bodyBytes: number;
  first: number;
  last: number;
}

const sink = fork(here('./countingSink.ts'), [String(PORT)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
await new Promise<void>((resolve, reject) => {
  sink.once('message', () => resolve());
  sink.once('exit', (code) => reject(new Error(`the counting sink exited with ${code}`)));
});

/** One request on a fresh connection (the sink closes idle keep-alive sockets while a row runs). */
const call = (method: 'GET' | 'POST', path: string) =>
  new Promise<string>((resolve, reject) => {
    const req = request(`${ENDPOINT}${path}`, { method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
const stats = async (): Promise<Record<'traces' | 'logs', Stats>> => JSON.parse(await call('GET', '/stats')) as never;

type Loop = 'tight' | 'yielding' | 'paced';

interface Row {
  setup: string;
  signal: 'spans' | 'logs';
  loop: Loop;
  sent: number;
  delivered: number;
  dropped: number;
  perSecond: number;
  bytesPerRecord: number;
  wireBytesPerRecord: number;
  loopMs: number;
}

async function row(setup: 'stock' | 'batchtel', signal: 'spans' | 'logs', loop: Loop): Promise<Row> {
  await call('POST', '/reset');
  const count = COUNTS[signal];
  const out = execFileSync(process.execPath, ['--import', 'tsx', here('./producer.ts'), setup, signal, loop, String(count), ENDPOINT, compression], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 180_000,
  });
  const producer = JSON.parse(out.trim().split('\n').pop()!) as { started: number; loopMs: number; totalMs: number; dropped: number };
  const s = (await stats())[signal === 'spans' ? 'traces' : 'logs'];
  const seconds = Math.max(1, s.last - producer.started) / 1000;
  return {
    setup,
    signal,
    loop,
    sent: count,
    delivered: s.records,
    dropped: count - s.records,
    perSecond: s.records / seconds,
    bytesPerRecord: s.bodyBytes / Math.max(1, s.records),
    wireBytesPerRecord: s.wireBytes / Math.max(1, s.records),
    loopMs: producer.loopMs,
  };
}

const rows: Row[] = [];
try {
  for (const signal of ['spans', 'logs'] as const)
    for (const loop of ['tight', 'yielding', 'paced'] as const)
      for (const setup of ['stock', 'batchtel'] as const) rows.push(await row(setup, signal, loop));
} finally {
  sink.kill();
}

const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
console.log(`export benchmark, node ${process.version}, OTLP/HTTP protobuf, compression ${compression}, endpoint in another process on loopback`);
console.log(`  ${'signal'.padEnd(6)} ${'loop'.padEnd(9)} ${'setup'.padEnd(9)} ${'sent'.padStart(8)} ${'delivered'.padStart(10)} ${'dropped'.padStart(8)} ${'per second'.padStart(11)} ${'bytes/rec'.padStart(10)} ${'wire/rec'.padStart(9)} ${'loop ms'.padStart(8)}`);
for (const r of rows) {
  console.log(
    `  ${r.signal.padEnd(6)} ${r.loop.padEnd(9)} ${r.setup.padEnd(9)} ${String(r.sent).padStart(8)} ${String(r.delivered).padStart(10)} ${String(r.dropped).padStart(8)} ${k(r.perSecond).padStart(11)} ${r.bytesPerRecord.toFixed(0).padStart(10)} ${r.wireBytesPerRecord.toFixed(0).padStart(9)} ${r.loopMs.toFixed(0).padStart(8)}`,
  );
}
const ours = rows.filter((r) => r.setup === 'batchtel');
const stockOf = (r: Row) => rows.find((s) => s.setup === 'stock' && s.signal === r.signal && s.loop === r.loop)!;
console.log('ratios (batchtel / stock, delivered per second)');
for (const r of ours) {
  const s = stockOf(r);
  console.log(`  ${r.signal.padEnd(6)} ${r.loop.padEnd(9)} ${(r.perSecond / s.perSecond).toFixed(2)}x${s.dropped > 0 ? `  (stock dropped ${s.dropped})` : ''}`);
}
const verdict = (ok: boolean, text: string) => console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${text}`);
console.log('targets');
verdict(ours.every((r) => r.dropped === 0), 'zero drops in every batchtel row');
const unpaced = ours.filter((r) => r.loop !== 'paced');
verdict(unpaced.filter((r) => r.signal === 'spans').every((r) => r.perSecond >= 100_000), '>= 100k spans/s delivered (tight and yielding loops)');
verdict(unpaced.filter((r) => r.signal === 'logs').every((r) => r.perSecond >= 200_000), '>= 200k log records/s delivered (tight and yielding loops)');
const comparable = ours.filter((r) => stockOf(r).dropped === 0);
// Within 5%: the paced rows are bound by the pacing, and two runs of the same pace differ by that much.
verdict(
  comparable.length > 0 && comparable.every((r) => r.perSecond >= 0.95 * stockOf(r).perSecond),
  `never slower than stock where stock drops nothing (${comparable.map((r) => `${r.signal} ${r.loop}`).join(', ') || 'no such row'}; within 5%)`,
);
