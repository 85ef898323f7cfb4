/**
 * The export worker thread with a real OTLP/HTTP endpoint on loopback: what
 * the app's thread hands over arrives, counts come back, shutdown ends the
 * thread; a worker that dies is restarted with its loss counted; a worker that
 * cannot start leaves delivery on the app's thread, nothing lost.
 */
import { diag, type DiagLogger } from '@opentelemetry/api';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSpans } from '../../src/sdk/delivery/otlpProtobuf.js';
import { WorkerDelivery } from '../../src/sdk/delivery/WorkerDelivery.js';
import { accountingCloses, durableSpans } from '../support/durableSpans.js';
import { OtlpSink } from '../support/otlpSink.js';
import { waitFor } from '../support/stack.js';

const sinks: OtlpSink[] = [];
const providers: TracerProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  diag.disable();
});

function captureDiag(): string[] {
  const lines: string[] = [];
  const push = (message: string) => lines.push(message);
  diag.setLogger({ error: push, warn: push, info: () => undefined, debug: () => undefined, verbose: () => undefined } as DiagLogger, {
    suppressOverrideMessage: true,
  });
  return lines;
}

async function sink(): Promise<[OtlpSink, string]> {
  const s = new OtlpSink();
  sinks.push(s);
  return [s, `${await s.start()}/v1/traces`];
}

const spoolDir = () => mkdtempSync(join(tmpdir(), 'batchtel-worker-spool-'));

/** Spans through durable delivery on the export worker. */
function traced(url: string, dir = spoolDir()) {
  const exports: boolean[] = [];
  const spans = durableSpans(
    { url, spoolDir: dir, worker: true, baseBackoffMs: 50, maxBackoffMs: 100, onExport: (_, result) => exports.push(result.ok) },
    providers,
  );
  return { ...spans, exports, delivery: spans.pipeline.sender as WorkerDelivery };
}

describe('the export worker', () => {
  it('delivers what the app thread hands over, reports counts and export results back, and ends its thread at shutdown', async () => {
    const [s, url] = await sink();
    const t = traced(url);
    t.emit(500);
    await t.provider.forceFlush();
    expect(t.delivery.thread).toBeInstanceOf(Worker);
    expect(s.spans()).toHaveLength(500);
    expect(t.pipeline.sender.counts.delivered).toBe(500);
    expect(t.exports.length).toBeGreaterThan(0);
    expect(t.exports.every((ok) => ok)).toBe(true);
    expect(accountingCloses(t.pipeline)).toBe(true);
    const thread = t.delivery.thread!;
    const ended = new Promise<number>((resolve) => thread.once('exit', resolve));
    await t.provider.shutdown();
    await ended;
    expect(t.delivery.thread).toBeUndefined();
  });

  it('a worker that dies is started again: what it held is counted lost (worker_exited, one warning), its spool files go out with the new one', async () => {
    const lines = captureDiag();
    const [s, url] = await sink();
    // The endpoint refuses for now (retryable): the worker holds the requests on disk.
    s.respondWith = () => ({ status: 503 });
    const t = traced(url);
    t.emit(300);
    await t.provider.forceFlush();
    await waitFor('the worker to hold 300 spans', async () => t.pipeline.sender.pending() === 300 && t.pipeline.spool.names().length > 0, 10_000);
    const first = t.delivery.thread!;
    await first.terminate();
    await waitFor('a new worker', async () => t.delivery.thread !== undefined && t.delivery.thread !== first, 10_000);
    expect(t.pipeline.sender.counts.dropped).toEqual({ worker_exited: 300 });
    expect(lines.filter((l) => l.includes('export worker stopped'))).toHaveLength(1);
    // The endpoint is back: the replacement sends the dead worker's files (inherited) and new spans.
    s.respondWith = undefined;
    t.emit(200);
    await t.provider.forceFlush();
    await waitFor('every span delivered', async () => new Set(s.spans().map((span) => span.name)).size === 500, 10_000);
    expect(t.pipeline.sender.counts.inherited).toBe(300);
    expect(accountingCloses(t.pipeline)).toBe(true);
    // A second death: counted, not warned again.
    await t.delivery.thread!.terminate();
    await waitFor('another worker', async () => t.delivery.thread !== undefined, 10_000);
    expect(lines.filter((l) => l.includes('export worker stopped'))).toHaveLength(1);
  });

  it('a worker that cannot start: delivery runs on the app thread (one warning), nothing handed over is lost', async () => {
    const lines = captureDiag();
    const [s, url] = await sink();
    const spans: ReadableSpan[] = [];
    const provider = new TracerProvider({
      spanProcessors: [{ onStart: () => {}, onEnd: (span) => spans.push(span), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() }],
    });
    providers.push(provider);
    for (let i = 0; i < 10; i++) provider.getTracer('test').startSpan(`span ${i}`).end();
    const broken = () => new Worker('throw new Error("no worker here")', { eval: true });
    const delivery = new WorkerDelivery({ signal: 'traces', url, spoolDir: spoolDir(), encoding: 'protobuf' }, {}, broken);
    delivery.write(encodeSpans(spans.slice(0, 4)), 4);
    delivery.write(encodeSpans(spans.slice(4)), 6);
    await waitFor('delivery on this thread', async () => delivery.counts.delivered === 10, 10_000);
    expect(delivery.thread).toBeUndefined();
    expect(s.of('traces')).toHaveLength(2);
    expect(lines.filter((l) => l.includes('export worker cannot run'))).toHaveLength(1);
    // A start that throws at once falls back the same way.
    const throwing = new WorkerDelivery({ signal: 'traces', url, spoolDir: spoolDir(), encoding: 'protobuf' }, {}, () => {
      throw new Error('no threads');
    });
    throwing.write(encodeSpans(spans), 10);
    await throwing.flush();
    expect(throwing.counts.delivered).toBe(10);
    await Promise.all([delivery.close(1000), throwing.close(1000)]);
  });
});
