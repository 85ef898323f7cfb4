import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { createDurableLogPipeline, type DurableDeliveryConfig } from '../../src/sdk/delivery/durablePipelines.js';
import { ATTR_BATCH_EVENT_PRIORITY } from '../../src/semconv.js';
import { accountingCloses, durableSpans } from '../support/durableSpans.js';
import { OtlpSink } from '../support/otlpSink.js';
import { waitFor as waitForState } from '../support/stack.js';

const sinks: OtlpSink[] = [];
const providers: TracerProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
});

async function sink(): Promise<[OtlpSink, string]> {
  const s = new OtlpSink();
  sinks.push(s);
  return [s, `${await s.start()}/v1/traces`];
}

const spoolDir = () => mkdtempSync(join(tmpdir(), 'batchtel-spool-'));

/** A tracer provider whose spans go through durable delivery; `p` is its pipeline. */
function pipeline(config: DurableDeliveryConfig) {
  const { pipeline: p, ...rest } = durableSpans(config, providers);
  return { ...rest, p };
}

/** Polls until the condition holds, failing with its text after the deadline. */
const waitFor = (check: () => boolean, timeoutMs: number) => waitForState(check.toString(), async () => check(), timeoutMs);

const names = (s: OtlpSink) => s.spans().map((span) => span.name);

describe('durable delivery against a real OTLP/HTTP endpoint', () => {
  it('an outage mid-run loses nothing and duplicates nothing: spooled, retried, replayed oldest first', async () => {
    const [s, url] = await sink();
    const { provider, p, emit } = pipeline({ url, spoolDir: spoolDir(), maxBatchSize: 50, baseBackoffMs: 20, maxBackoffMs: 100 });
    emit(100);
    await provider.forceFlush();
    let down = true;
    s.respondWith = () => (down ? { status: 503 } : undefined);
    emit(100);
    await provider.forceFlush();
    await waitFor(() => p.sender.counts.spooled >= 50, 5000);
    expect(p.spool.names().length).toBeGreaterThan(0);
    down = false;
    emit(100);
    await waitFor(() => s.spans().length >= 300, 10_000);
    await provider.forceFlush();
    const received = names(s);
    const c = p.sender.counts;
    console.log(
      `outage: sent 300 spans, received ${received.length} (${new Set(received).size} distinct); spooled ${c.spooled}, replayed ${c.replayed}, retries ${JSON.stringify(c.retries)}, dropped ${JSON.stringify(c.dropped)}`,
    );
    expect(received).toHaveLength(300);
    expect(new Set(received).size).toBe(300);
    expect(c.replayed).toBe(c.spooled);
    expect(c.retries['503']).toBeGreaterThan(0);
    expect(p.spool.names()).toEqual([]);
    expect(accountingCloses(p)).toBe(true);
  });

  it('a 429 is retried no sooner than its Retry-After', async () => {
    const [s, url] = await sink();
    const times: number[] = [];
    s.respondWith = () => {
      times.push(Date.now());
      return times.length === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined;
    };
    const { provider, p, emit } = pipeline({ url, spoolDir: spoolDir(), baseBackoffMs: 10 });
    emit(10);
    await provider.forceFlush();
    await waitFor(() => p.sender.counts.delivered === 10, 5000);
    expect(s.spans()).toHaveLength(10);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(p.sender.counts).toMatchObject({ delivered: 10, spooled: 10, replayed: 10, retries: { '429': 1 } });
  });

  it('a 400 is never retried: counted as dropped and reported', async () => {
    const [s, url] = await sink();
    s.respondWith = () => ({ status: 400 });
    const { provider, p, emit } = pipeline({ url, spoolDir: spoolDir(), baseBackoffMs: 10 });
    emit(7);
    await provider.forceFlush();
    expect(s.requests).toBe(1);
    expect(p.sender.counts).toMatchObject({ delivered: 0, dropped: { '400': 7 }, spooled: 0, retries: {} });
    expect(p.spool.names()).toEqual([]);
    expect(accountingCloses(p)).toBe(true);
  });

  it('requests a process that is gone left in the spool are replayed by the next one, each in its own encoding; a live process keeps its own', async () => {
    const [s, url] = await sink();
    const dir = spoolDir();
    const spans = (n: number): ReadableSpan[] => {
      const memory = new InMemorySpanExporter();
      const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
      for (let i = 0; i < n; i++) provider.getTracer('t').startSpan(`left ${i}`).end();
      return memory.getFinishedSpans();
    };
    // A dead process's files (its pid no longer runs; one JSON, one protobuf) and a live one's (pid 1 runs).
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    const ms = String(Date.now()).padStart(15, '0');
    writeFileSync(join(dir, `traces-${ms}-${dead.pid}-000000000-5.json.otlp`), JsonTraceSerializer.serializeRequest(spans(5))!);
    writeFileSync(join(dir, `traces-${ms}-${dead.pid}-000000001-6.pb.otlp`), ProtobufTraceSerializer.serializeRequest(spans(6))!);
    writeFileSync(join(dir, `traces-${ms}-1-000000000-5.json.otlp`), JsonTraceSerializer.serializeRequest(spans(5))!);
    const { provider, p } = pipeline({ url, spoolDir: dir });
    await waitFor(() => p.sender.counts.delivered === 11, 5000);
    await provider.forceFlush();
    expect(p.sender.counts).toMatchObject({ inherited: 11, delivered: 11, replayed: 11 });
    expect(s.spans()).toHaveLength(5);
    expect(
      s
        .of('traces')
        .map((r) => r.contentType)
        .sort(),
    ).toEqual(['application/json', 'application/x-protobuf']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.otlp'))).toEqual([expect.stringMatching(/-1-000000000-5\.json\.otlp$/)]);
  });

  it('reads OTLP partial success: rejected records are counted, not called delivered', async () => {
    const [s, url] = await sink();
    s.respondWith = () => ({ status: 200, body: JSON.stringify({ partialSuccess: { rejectedSpans: 2, errorMessage: 'spans too old' } }) });
    const { provider, p, emit } = pipeline({ url, spoolDir: spoolDir() });
    emit(10);
    await provider.forceFlush();
    expect(p.sender.counts).toMatchObject({ delivered: 8, rejected: 2 });
    expect(accountingCloses(p)).toBe(true);
  });

  it('the spool is bounded: while the endpoint is down the oldest requests are evicted and counted by record', async () => {
    const [s, url] = await sink();
    s.respondWith = () => ({ status: 503 });
    const { provider, p, emit } = pipeline({ url, spoolDir: spoolDir(), maxBatchSize: 100, maxSpoolBytes: 100_000, baseBackoffMs: 5000 });
    emit(3000);
    await provider.forceFlush();
    const c = p.sender.counts;
    console.log(`eviction: 3000 spans, spool ${p.spool.bytes()} bytes (limit 100000), evicted ${c.dropped['evicted']}, pending ${p.sender.pending()}`);
    expect(p.spool.bytes()).toBeLessThanOrEqual(100_000);
    expect(c.dropped['evicted']).toBeGreaterThan(0);
    expect(c.dropped['evicted']! % 100).toBe(0);
    expect(accountingCloses(p)).toBe(true);
  });

  it('a tight synchronous loop loses nothing: full batches are written in the loop, not dropped', async () => {
    const [s, url] = await sink();
    const { provider, p, emit } = pipeline({ url, spoolDir: spoolDir(), encoding: 'protobuf' });
    emit(50_000);
    await provider.forceFlush();
    await waitFor(() => p.sender.counts.delivered === 50_000, 20_000);
    expect(p.sender.counts.dropped).toEqual({});
    expect(s.of('traces').length).toBeLessThanOrEqual(Math.ceil(50_000 / 2048) + 1);
    expect(accountingCloses(p)).toBe(true);
  });

  it('an error span reaches the endpoint within the priority delay, long before the sync interval', async () => {
    const [s, url] = await sink();
    const { p, emit } = pipeline({ url, spoolDir: spoolDir(), syncIntervalMs: 10_000, priorityDelayMs: 50 });
    emit(5);
    const start = Date.now();
    emit(1, true);
    await waitFor(() => s.spans().length === 6, 2000);
    const latency = s.received.at(-1)!.at - start;
    console.log(`priority: error span received after ${latency} ms (sync interval 10000 ms)`);
    expect(latency).toBeLessThan(250);
    expect(p.processor.buffered()).toBe(0);
  });

  it('an ERROR log record and an event marked high priority reach the endpoint within the priority delay', async () => {
    const s = new OtlpSink();
    sinks.push(s);
    const url = `${await s.start()}/v1/logs`;
    const { processor } = createDurableLogPipeline({ url, encoding: 'json', spoolDir: spoolDir(), syncIntervalMs: 10_000, priorityDelayMs: 50 });
    const provider = new LoggerProvider({ processors: [processor] });
    const logger = provider.getLogger('test');
    try {
      const latencies: number[] = [];
      for (const record of [
        { body: 'failed', severityNumber: SeverityNumber.ERROR },
        { body: 'refund', severityNumber: SeverityNumber.INFO, attributes: { [ATTR_BATCH_EVENT_PRIORITY]: 'high' } },
      ]) {
        logger.emit({ body: 'routine', severityNumber: SeverityNumber.INFO });
        const start = Date.now();
        const before = s.logRecords().length;
        logger.emit(record);
        await waitFor(() => s.logRecords().length === before + 2, 2000);
        latencies.push(s.received.at(-1)!.at - start);
      }
      console.log(`priority logs: ERROR record received after ${latencies[0]} ms, high-priority event after ${latencies[1]} ms (sync interval 10000 ms)`);
      expect(Math.max(...latencies)).toBeLessThan(250);
    } finally {
      await provider.shutdown();
    }
  });

  it('two pipelines on one spool folder in one process neither overwrite nor take each other’s requests', async () => {
    const [s, url] = await sink();
    s.respondWith = () => ({ status: 503 });
    const dir = spoolDir();
    const a = pipeline({ url, spoolDir: dir, baseBackoffMs: 60_000 });
    a.emit(5);
    await a.provider.forceFlush();
    const b = pipeline({ url, spoolDir: dir, baseBackoffMs: 60_000 });
    b.emit(7);
    await b.provider.forceFlush();
    expect(b.p.sender.counts.inherited).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.otlp'))).toHaveLength(2);
    // Once the first shuts down, what it left is fair game for a new pipeline here.
    await a.provider.shutdown();
    s.respondWith = undefined;
    const c = pipeline({ url, spoolDir: dir });
    await waitFor(() => c.p.sender.counts.delivered === 5, 5000);
    expect(c.p.sender.counts.inherited).toBe(5);
    expect(accountingCloses(b.p)).toBe(true);
  });

  it('the local default: while nothing listens, requests go to the folder as JSON lines; a collector that appears gets the next ones after the recheck; a 503 is retried, not sent to the folder', async () => {
    // A port nothing listens on: a sink started and stopped.
    const probe = new OtlpSink();
    const base = await probe.start();
    await probe.stop();
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-local-'));
    const linesInFolder = () =>
      readFileSync(join(dir, 'traces.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .flatMap((line) =>
          (JSON.parse(line) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> }).resourceSpans.flatMap((rs) =>
            rs.scopeSpans.flatMap((ss) => ss.spans),
          ),
        ).length;
    let now = 1_000_000;
    let announced = 0;
    const a = pipeline({ url: `${base}/v1/traces`, spoolDir: spoolDir(), now: () => now, local: { dir, recheckMs: 30_000, announce: () => announced++ } });
    a.emit(10);
    await a.provider.forceFlush();
    expect(linesInFolder()).toBe(10);
    a.emit(5);
    await a.provider.forceFlush();
    expect(linesInFolder()).toBe(15);
    // Within the recheck nothing is tried over the network, so there is nothing new to announce.
    expect(announced).toBe(1);
    expect(a.p.sender.counts).toMatchObject({ delivered: 15, writtenLocally: 15, dropped: {} });

    // A collector starts where nothing listened: after the recheck, requests go to it again.
    const s = new OtlpSink();
    sinks.push(s);
    await s.start(Number(new URL(base).port));
    now += 30_001;
    a.emit(4);
    await a.provider.forceFlush();
    expect(s.spans()).toHaveLength(4);
    expect(linesInFolder()).toBe(15);

    // A collector that answers 503 is there: the request waits and is retried, the folder is not for it.
    s.respondWith = () => ({ status: 503 });
    a.emit(3);
    await a.provider.forceFlush();
    expect(linesInFolder()).toBe(15);
    s.respondWith = undefined;
    await waitFor(() => a.p.sender.counts.delivered === 22, 5000);
    expect(s.spans()).toHaveLength(7);
    expect(a.p.sender.counts).toMatchObject({ writtenLocally: 15, spooled: 3, replayed: 3, dropped: {} });
    expect(announced).toBe(1);
    expect(accountingCloses(a.p)).toBe(true);
  });
});
