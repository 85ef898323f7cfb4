/**
 * One benchmark row, in a fresh process: `setup` (none | sdk | stock | batchtel | baseline) emits
 * `count` spans or log records in a tight synchronous loop, one that yields
 * every 512 (setImmediate), or one paced at 512 per 10 ms, then flushes and shuts down. Prints one JSON line: loop and total
 * time, and what the pipeline says it dropped.
 *
 * stock: the SDK's BatchSpanProcessor / BatchLogRecordProcessor with their
 * defaults (512 per batch, queue 2048) and the maintained OTLP/HTTP protobuf
 * exporters. batchtel: `startTelemetry` as users get it (durable delivery,
 * redaction), metrics off, from the bundle built into the tree given as the
 * seventh argument. baseline: the same, from the tree given last (an earlier
 * commit, built the same way), so old and new run side by side.
 *
 * App-thread time is the main thread's event-loop utilization (time not idle)
 * from the first record to the end of shutdown: everything the app's thread
 * spent, whichever code ran on it. Stalls come from a monitorEventLoopDelay
 * histogram over the same span. Where Linux says it, also the main thread's
 * CPU time over the same span (appCpuMs): utilization counts the time the
 * thread waited for a core too, which on a shared machine is much of it.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { logs, type Logger } from '@opentelemetry/api-logs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const [setup, signal, loop, countArg, endpoint, compression, builtRoot, baselineRoot] = process.argv.slice(2) as [
  string,
  'spans' | 'logs',
  'tight' | 'yielding' | 'paced',
  string,
  string,
  'gzip' | 'none',
  string | undefined,
  string | undefined,
];
const count = Number(countArg);

let tracer: Tracer | undefined;
let logger: Logger | undefined;
let finish: () => Promise<void>;
let dropped = () => 0;
/** After the figures are taken. */
let cleanup = () => {};

if (setup === 'none') {
  // The machine's own floor: the same loop with no telemetry at all.
  finish = async () => {};
} else if (setup === 'sdk') {
  // The SDK's own share: records made and ended, nothing processed or exported.
  tracer = new TracerProvider().getTracer('bench');
  logger = new LoggerProvider().getLogger('bench');
  finish = async () => {};
} else if (setup === 'stock') {
  const tracerProvider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, compression: compression as never }) })],
  });
  const loggerProvider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs`, compression: compression as never }) })],
  });
  tracer = tracerProvider.getTracer('bench');
  logger = loggerProvider.getLogger('bench');
  finish = async () => {
    await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
    await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()]);
  };
} else {
  // The built package, as users load it: its export worker starts from plain JavaScript.
  const root = setup === 'baseline' ? baselineRoot : builtRoot;
  if (!root) throw new Error(`${setup}: no built tree given`);
  const { startTelemetry } = (await import(pathToFileURL(`${root}/dist/sdk/index.js`).href)) as typeof import('../../src/sdk/index.js');
  const spoolDir = mkdtempSync(join(tmpdir(), 'batchtel-bench-spool-'));
  const handle = startTelemetry({
    serviceName: 'bench',
    endpoint,
    compression,
    metrics: 'none',
    handleSignals: false,
    spoolDir,
    shutdownTimeoutMillis: 60_000,
  });
  tracer = trace.getTracer('bench');
  logger = logs.getLogger('bench');
  finish = () => handle.shutdown();
  cleanup = () => rmSync(spoolDir, { recursive: true, force: true });
  dropped = () => handle.deliveryStats().reduce((sum, s) => sum + Object.values(s.dropped).reduce((a, b) => a + b, 0) + s.pending, 0);
}

const emit =
  setup === 'none'
    ? (_i: number) => {}
    : signal === 'spans'
      ? (i: number) => tracer!.startSpan('bench.record', { attributes: { seq: i, 'batch.operation': 'bench' } }).end()
      : (i: number) => logger!.emit({ body: 'record processed', attributes: { seq: i, 'batch.operation': 'bench' } });

/**
 * The main thread's own CPU time (Linux: schedstat, in ns), undefined elsewhere. On a shared
 * machine utilization also counts the time the thread waited for a core; this does not.
 */
const mainThreadCpuMs = (): number | undefined => {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
};

// Measured from inside the event loop, so the utilization covers the loop itself.
await new Promise<void>((resolve) => setImmediate(resolve));
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
// The histogram's first tick only sets its reference point: let it happen before the loop, so a tight loop shows as one stall.
// (reset() would clear that reference point too.)
await new Promise<void>((resolve) => setTimeout(resolve, 20));
// The loop starts in a turn of its own: started from the timer's callback, its first turn and
// the one after its first yield (setImmediate) would share one event-loop iteration, and every
// row's first stall would be two turns.
await new Promise<void>((resolve) => setImmediate(resolve));
const elu0 = performance.eventLoopUtilization();
const cpu0 = mainThreadCpuMs();
const started = Date.now();
const t0 = performance.now();
for (let i = 0; i < count; i++) {
  emit(i);
  if (loop === 'yielding' && i % 512 === 511) await new Promise<void>((resolve) => setImmediate(resolve));
  if (loop === 'paced' && i % 512 === 511) await new Promise<void>((resolve) => setTimeout(resolve, 10));
}
const loopMs = performance.now() - t0;
await finish();
const totalMs = performance.now() - t0;
const appMs = performance.eventLoopUtilization(elu0).active;
const cpu1 = mainThreadCpuMs();
const appCpuMs = cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0;
delay.disable();
const stallMaxMs = delay.max / 1e6;
const stallP99Ms = delay.percentile(99) / 1e6;
process.stdout.write(`${JSON.stringify({ started, loopMs, totalMs, appMs, appCpuMs, stallMaxMs, stallP99Ms, dropped: dropped() })}\n`);
cleanup();
