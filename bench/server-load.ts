/**
 * Does the control server keep up with 100 live SSE clients and many runs,
 * without slowing the batch loops it observes? Run: `npm run bench:server`.
 *
 * Phase A: `runs` batch loops (a little CPU per chunk, then a yield) with the
 * server up and nobody watching (before and after B; the mean is the baseline).
 * Phase B: the same loops while `clients` SSE
 * clients (in a child process, so their parsing is not charged to us) follow
 * every event. Reported: loop throughput in both phases, event latency
 * (publish → client receipt, same clock), and this process's CPU (loops plus
 * server). Bounded: fixed phase length, loopback only.
 */
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { trackBatch } from '../src/api/trackBatch.js';
import { RunRegistry } from '../src/core/RunRegistry.js';
import { startServer } from '../src/server/index.js';
import { EventHub } from '../src/server/EventHub.js';

export interface LoadOptions {
  readonly clients: number;
  /** Concurrent batch loops. */
  readonly runs: number;
  /** Finished runs in history (the registry holds them; snapshots carry them). */
  readonly history: number;
  readonly phaseMs: number;
  readonly progressIntervalMs: number;
}

export interface LoadReport {
  readonly options: LoadOptions;
  readonly baselineItemsPerSecond: number;
  readonly loadedItemsPerSecond: number;
  /** loaded / baseline */
  readonly throughputRatio: number;
  /** Items per CPU-second of this process (loops + server): robust to other load on the machine. */
  readonly baselineItemsPerCpuSecond: number;
  readonly loadedItemsPerCpuSecond: number;
  /** loaded / baseline, per CPU-second: what the server's work costs the loops. */
  readonly efficiencyRatio: number;
  readonly events: { readonly received: number; readonly perClientMin: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  readonly cpu: { readonly baselinePercent: number; readonly loadedPercent: number; readonly clientProcessPercent: number };
  readonly clientsConnected: number;
}

const CLIENT_FLAG = '--sse-clients';

/** Loops until the deadline: chunks of 100 items, ~0.1 ms of CPU each, then a macrotask yield. */
async function loops(registry: RunRegistry, runs: number, ms: number, tag: string): Promise<number> {
  const deadline = performance.now() + ms;
  let items = 0;
  await Promise.all(
    Array.from({ length: runs }, async (_, i) => {
      const batch = trackBatch({
        name: `${tag} loop ${i}`,
        operation: `load_${i % 8}`,
        total: 10_000_000,
        registry,
        display: 'none',
        alerts: { enabled: false },
      });
      async function* source() {
        while (performance.now() < deadline) yield 0;
      }
      const stats = await batch.process(
        source(),
        async (chunk) => {
          let x = 0;
          for (let k = 0; k < 2000; k++) x += Math.sqrt(k + chunk.length);
          await new Promise<void>((resolve) => setImmediate(resolve));
          return x < 0 ? { failed: 1 } : undefined;
        },
        { batchSize: 100 },
      );
      items += stats.processed;
    }),
  );
  return (items * 1000) / ms;
}

function cpuPercent(start: NodeJS.CpuUsage, wallMs: number): number {
  const used = process.cpuUsage(start);
  return Math.round(((used.user + used.system) / 1000 / wallMs) * 1000) / 10;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function measure(options: LoadOptions): Promise<LoadReport> {
  const registry = new RunRegistry({ maxFinished: options.history + options.runs * 2 + 10 });
  for (let i = 0; i < options.history; i++) {
    const run = trackBatch({ name: `old ${i}`, operation: `old_${i % 10}`, total: 100, registry, display: 'none' }).start();
    run.add(100);
    run.finish();
  }
  const server = await startServer({ registry, events: { progressIntervalMs: options.progressIntervalMs, maxClients: options.clients + 10 } });
  try {
    // Warm-up, then phase A: nobody watching.
    await loops(registry, options.runs, Math.min(500, options.phaseMs / 4), 'warm-up');
    let cpu = process.cpuUsage();
    let t0 = performance.now();
    const baseline = await loops(registry, options.runs, options.phaseMs, 'baseline');
    const baselineCpu = cpuPercent(cpu, performance.now() - t0);

    // Phase B: the same loops with `clients` SSE clients attached.
    const child = fork(fileURLToPath(import.meta.url), [CLIENT_FLAG, server.url, server.token!, String(options.clients)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const message = (type: string) =>
      new Promise<any>((resolve, reject) => {
        const onMessage = (m: any) => {
          if (m?.type === type) {
            child.off('message', onMessage);
            resolve(m);
          }
        };
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`SSE client process exited (${code}) before ${type}`)));
      });
    const ready = await message('ready');
    cpu = process.cpuUsage();
    t0 = performance.now();
    child.send({ type: 'start' });
    const loaded = await loops(registry, options.runs, options.phaseMs, 'loaded');
    const loadedCpu = cpuPercent(cpu, performance.now() - t0);
    child.send({ type: 'stop' });
    const result = await message('result');
    child.kill();
    // Phase A again, clients gone: the baseline is the mean of before and after, so drift cancels out.
    cpu = process.cpuUsage();
    t0 = performance.now();
    const baselineAfter = await loops(registry, options.runs, options.phaseMs, 'baseline-after');
    const baselineCpuAfter = cpuPercent(cpu, performance.now() - t0);
    const baselineMean = (baseline + baselineAfter) / 2;
    const latencies = (result.latencies as number[]).sort((a, b) => a - b);
    return {
      options,
      baselineItemsPerSecond: Math.round(baselineMean),
      loadedItemsPerSecond: Math.round(loaded),
      throughputRatio: Math.round((loaded / baselineMean) * 1000) / 1000,
      events: {
        received: result.received,
        perClientMin: result.perClientMin,
        p50Ms: Math.round(quantile(latencies, 0.5) * 10) / 10,
        p99Ms: Math.round(quantile(latencies, 0.99) * 10) / 10,
        maxMs: Math.round((latencies.at(-1) ?? Number.NaN) * 10) / 10,
      },
      baselineItemsPerCpuSecond: Math.round((baselineMean * 100) / ((baselineCpu + baselineCpuAfter) / 2)),
      loadedItemsPerCpuSecond: Math.round((loaded * 100) / loadedCpu),
      efficiencyRatio: Math.round((loaded / loadedCpu / (baselineMean / ((baselineCpu + baselineCpuAfter) / 2))) * 1000) / 1000,
      cpu: { baselinePercent: Math.round(((baselineCpu + baselineCpuAfter) / 2) * 10) / 10, loadedPercent: loadedCpu, clientProcessPercent: result.cpuPercent },
      clientsConnected: ready.connected,
    };
  } finally {
    await server.close();
  }
}

export interface ReplayMemory {
  readonly events: number;
  /** Bytes held for replay and heap growth, a 20-character name vs a 10 MB one, no client connected. */
  readonly short: { readonly replayBytes: number; readonly heapGrowthBytes: number };
  readonly huge: { readonly replayBytes: number; readonly heapGrowthBytes: number };
}

/** The replay ring's memory with `events` progress events and no client, for an ordinary and a 10 MB run name, side by side. */
export function replayMemory(events = 1000): ReplayMemory {
  const one = (name: string) => {
    const registry = new RunRegistry();
    const hub = new EventHub(registry, () => undefined, { progressIntervalMs: 3_600_000, keepAliveProgressMs: 1 });
    const batch = trackBatch({ name, operation: 'replay', total: events * 2, registry, display: 'none', alerts: { enabled: false } }).start();
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const t = Date.now();
    for (let i = 1; i <= events; i++) {
      batch.add(1);
      hub.sampleProgress(t + i * 3_600_000);
    }
    globalThis.gc?.();
    const result = { replayBytes: hub.replayBytes, heapGrowthBytes: Math.max(0, process.memoryUsage().heapUsed - before) };
    batch.finish();
    hub.close();
    return result;
  };
  return { events, short: one('Nightly invoice sync'), huge: one('n'.repeat(10 * 1024 * 1024)) };
}

/** The child: opens `count` SSE streams and times every event from its `at` to arrival. */
async function clientProcess(url: string, token: string, count: number): Promise<void> {
  const latencies: number[] = [];
  const perClient = new Array<number>(count).fill(0);
  let measuring = false;
  let connected = 0;
  const requests = Array.from(
    { length: count },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        const req = request(`${url}/api/batch/events`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`SSE ${res.statusCode}`));
          connected++;
          resolve();
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (text: string) => {
            const now = performance.timeOrigin + performance.now();
            buffer += text;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              if (!measuring) continue;
              const at = /"at":(\d+(?:\.\d+)?)\}$/m.exec(block);
              if (at && !block.includes('event: batch:snapshot')) {
                perClient[i]!++;
                if (i % 10 === 0) latencies.push(now - Number(at[1])); // sample every tenth client to keep the array small
              }
            }
          });
        });
        req.on('error', reject);
        req.end();
      }),
  );
  await Promise.all(requests);
  let cpu = process.cpuUsage();
  let t0 = performance.now();
  process.send!({ type: 'ready', connected });
  process.on('message', (m: any) => {
    if (m?.type === 'start') {
      measuring = true;
      cpu = process.cpuUsage();
      t0 = performance.now();
    } else if (m?.type === 'stop') {
      measuring = false;
      process.send!({
        type: 'result',
        latencies,
        received: perClient.reduce((a, b) => a + b, 0),
        perClientMin: Math.min(...perClient),
        cpuPercent: cpuPercent(cpu, performance.now() - t0),
      });
    }
  });
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (process.argv[2] === CLIENT_FLAG) {
  await clientProcess(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
} else if (isMain) {
  const options: LoadOptions = { clients: 100, runs: 50, history: 500, phaseMs: 5000, progressIntervalMs: 500 };
  console.log(
    `server load: ${options.clients} SSE clients, ${options.runs} concurrent batch loops, ${options.history} runs in history, ${options.phaseMs / 1000} s per phase, progress every ${options.progressIntervalMs} ms per run (loopback, ${(await import('node:os')).cpus().length} cores)`,
  );
  const r = await measure(options);
  console.log(`  SSE clients connected        ${r.clientsConnected}`);
  console.log(`  loop throughput, no clients  ${r.baselineItemsPerSecond.toLocaleString('en')} items/s (mean of before and after)`);
  console.log(`  loop throughput, ${r.options.clients} clients ${r.loadedItemsPerSecond.toLocaleString('en')} items/s  (ratio ${r.throughputRatio})`);
  console.log(
    `  items per CPU-second          ${r.baselineItemsPerCpuSecond.toLocaleString('en')} without clients, ${r.loadedItemsPerCpuSecond.toLocaleString('en')} with (ratio ${r.efficiencyRatio}; robust to other load on the machine)`,
  );
  console.log(`  events delivered             ${r.events.received.toLocaleString('en')} (min per client ${r.events.perClientMin})`);
  console.log(`  event latency publish→client p50 ${r.events.p50Ms} ms, p99 ${r.events.p99Ms} ms, max ${r.events.maxMs} ms`);
  console.log(`  CPU of loops+server process  ${r.cpu.baselinePercent}% without clients, ${r.cpu.loadedPercent}% with (of one core)`);
  console.log(`  CPU of the client process    ${r.cpu.clientProcessPercent}%`);
  const m = replayMemory();
  const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
  console.log(
    `  replay buffer, ${m.events} progress events, no client: ${mib(m.short.replayBytes)} (heap +${mib(m.short.heapGrowthBytes)}) with a 20-character name, ${mib(m.huge.replayBytes)} (heap +${mib(m.huge.heapGrowthBytes)}) with a 10 MiB name (ratio ${(m.huge.replayBytes / m.short.replayBytes).toFixed(2)})`,
  );
}
