import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { createDurableSpanExporter } from '../../src/sdk/delivery/durableExporters.js';
import { Spool } from '../../src/sdk/delivery/Spool.js';
import { OtlpSink } from '../support/otlpSink.js';

const sinks: OtlpSink[] = [];
afterEach(async () => Promise.all(sinks.splice(0).map((s) => s.stop())));

async function sink(): Promise<[OtlpSink, string]> {
  const s = new OtlpSink();
  sinks.push(s);
  return [s, `${await s.start()}/v1/traces`];
}

function spans(n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('t');
  for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end();
  return memory.getFinishedSpans();
}

const exportOnce = (exporter: { export(s: ReadableSpan[], d: (r: ExportResult) => void): void }, batch: ReadableSpan[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));

const spoolDir = () => mkdtempSync(join(tmpdir(), 'batchtel-spool-'));

describe('durable delivery against a real OTLP/HTTP endpoint', () => {
  it('an outage mid-run loses nothing and duplicates nothing: retried, spooled, replayed oldest first', async () => {
    const [s, url] = await sink();
    const exporter = createDurableSpanExporter({ url, encoding: 'json', spoolDir: spoolDir(), retryWindowMs: 200, replayIntervalMs: 100 });
    const all = spans(300);
    const batches = Array.from({ length: 6 }, (_, i) => all.slice(i * 50, i * 50 + 50));
    for (const batch of batches.slice(0, 2)) expect((await exportOnce(exporter, batch)).code).toBe(ExportResultCode.SUCCESS);
    let down = true;
    s.respondWith = () => (down ? { status: 503 } : undefined);
    for (const batch of batches.slice(2, 4)) expect((await exportOnce(exporter, batch)).code).toBe(ExportResultCode.SUCCESS);
    expect(exporter.counts.spooled).toBe(100);
    down = false;
    for (const batch of batches.slice(4)) await exportOnce(exporter, batch);
    await exporter.forceFlush();
    const received = s.spans() as unknown as Array<{ spanId: string }>;
    const ids = new Set(received.map((r) => r.spanId));
    console.log(`outage: sent ${all.length} spans, received ${received.length} (${ids.size} distinct); spooled ${exporter.counts.spooled}, replayed requests ${exporter.counts.replayed}, dropped ${exporter.counts.dropped}, retries ${exporter.counts.retries}`);
    expect(received).toHaveLength(300);
    expect(ids.size).toBe(300);
    expect(exporter.counts.handed).toBe(exporter.counts.delivered + exporter.counts.spooled + exporter.counts.dropped);
    await exporter.shutdown();
  });

  it('a 429 is retried no sooner than its Retry-After', async () => {
    const [s, url] = await sink();
    const times: number[] = [];
    s.respondWith = () => {
      times.push(Date.now());
      return times.length === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined;
    };
    const exporter = createDurableSpanExporter({ url, encoding: 'json', spoolDir: spoolDir(), retryWindowMs: 5000 });
    expect((await exportOnce(exporter, spans(10))).code).toBe(ExportResultCode.SUCCESS);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(exporter.counts).toMatchObject({ delivered: 10, retries: 1, spooled: 0 });
    await exporter.shutdown();
  });

  it('a 400 is never retried: counted as dropped and reported', async () => {
    const [s, url] = await sink();
    s.respondWith = () => ({ status: 400 });
    const exporter = createDurableSpanExporter({ url, encoding: 'json', spoolDir: spoolDir(), retryWindowMs: 2000 });
    const result = await exportOnce(exporter, spans(7));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(s.requests).toBe(1);
    expect(exporter.counts).toMatchObject({ handed: 7, dropped: 7, spooled: 0, retries: 0 });
    await exporter.shutdown();
  });

  it('requests a previous process left in the spool are replayed by the next one', async () => {
    const [s, url] = await sink();
    const dir = spoolDir();
    // What a process that died while the collector was down leaves behind.
    const left = new Spool(dir, 'traces', 1 << 30);
    left.write(JsonTraceSerializer.serializeRequest(spans(5))!);
    left.write(JsonTraceSerializer.serializeRequest(spans(6))!);
    const exporter = createDurableSpanExporter({ url, encoding: 'json', spoolDir: dir });
    await exporter.forceFlush();
    expect(s.spans()).toHaveLength(11);
    expect(left.files()).toEqual([]);
    await exporter.shutdown();
  });

  it('reads OTLP partial success: rejected items are counted, not called delivered', async () => {
    const [s, url] = await sink();
    s.respondWith = () => ({ status: 200, body: JSON.stringify({ partialSuccess: { rejectedSpans: 2, errorMessage: 'spans too old' } }) });
    const exporter = createDurableSpanExporter({ url, encoding: 'json', spoolDir: spoolDir() });
    await exportOnce(exporter, spans(10));
    expect(exporter.counts).toMatchObject({ delivered: 8, rejected: 2 });
    await exporter.shutdown();
  });

  it('the spool is bounded: oldest requests are evicted and counted', () => {
    const dir = spoolDir();
    let evicted = 0;
    const spool = new Spool(dir, 'traces', 2500, (bytes) => (evicted += bytes));
    for (let i = 0; i < 5; i++) spool.write(new Uint8Array(1000).fill(i));
    expect(spool.files()).toHaveLength(2);
    expect(evicted).toBe(3000);
    expect(spool.read(spool.files()[0]!)![0]).toBe(3); // the newest two are kept
  });
});
