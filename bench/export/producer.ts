/**
 * One benchmark row, in a fresh process: `setup` (stock | batchtel) emits
 * `count` spans or log records in a tight synchronous loop, one that yields
 * every 512 (setImmediate), or one paced at 512 per 10 ms, then flushes and shuts down. Prints one JSON line: loop and total
 * time, and what the pipeline says it dropped.
 *
 * stock: the SDK's BatchSpanProcessor / BatchLogRecordProcessor with their
 * defaults (512 per batch, queue 2048) and the maintained OTLP/HTTP protobuf
 * exporters. batchtel: `startTelemetry` as users get it (durable delivery,
 * redaction), metrics off.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { logs, type Logger } from '@opentelemetry/api-logs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '../../src/sdk/index.js';

const [setup, signal, loop, countArg, endpoint, compression] = process.argv.slice(2) as [string, 'spans' | 'logs', 'tight' | 'yielding' | 'paced', string, string, 'gzip' | 'none'];
const count = Number(countArg);

let tracer: Tracer;
let logger: Logger;
let finish: () => Promise<void>;
let dropped = () => 0;

if (setup === 'stock') {
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
  const handle = startTelemetry({
    serviceName: 'bench',
    endpoint,
    compression,
    metrics: 'none',
    handleSignals: false,
    spoolDir: mkdtempSync(join(tmpdir(), 'batchtel-bench-spool-')),
    shutdownTimeoutMillis: 60_000,
  });
  tracer = trace.getTracer('bench');
  logger = logs.getLogger('bench');
  finish = () => handle.shutdown();
  dropped = () => handle.deliveryStats().reduce((sum, s) => sum + Object.values(s.dropped).reduce((a, b) => a + b, 0) + s.pending, 0);
}

const emit =
  signal === 'spans'
    ? (i: number) => tracer.startSpan('bench.record', { attributes: { seq: i, 'batch.operation': 'bench' } }).end()
    : (i: number) => logger.emit({ body: 'record processed', attributes: { seq: i, 'batch.operation': 'bench' } });

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
process.stdout.write(`${JSON.stringify({ started, loopMs, totalMs, dropped: dropped() })}\n`);
