import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { flushProviders } from '../../../src/bullmq/flushProviders.js';

const provider = (forceFlush: () => Promise<void>) => ({
  getTracer: () => trace.getTracer('x'),
  getMeter: () => metrics.getMeter('x'),
  getLogger: () => logs.getLogger('x'),
  forceFlush,
});

describe('flushProviders', () => {
  afterEach(() => {
    trace.disable();
    logs.disable();
    metrics.disable();
  });

  it('hands a span still held in a batch to its exporter, through the global proxy when no provider is given', async () => {
    const exporter = new InMemorySpanExporter();
    // A batch that would hold the span for a minute: only a flush sends it now.
    const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 60_000 })] });
    trace.setGlobalTracerProvider(tracerProvider);
    trace.getTracer('t').startSpan('run').end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await flushProviders({}, 5000);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['run']);
    await tracerProvider.shutdown();
  });

  it('flushes the providers it is given, not the global ones', async () => {
    const flushed: string[] = [];
    trace.setGlobalTracerProvider(provider(async () => void flushed.push('global')));
    const logExporter = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
    await flushProviders({ tracerProvider: provider(async () => void flushed.push('given')), loggerProvider }, 5000);
    expect(flushed).toEqual(['given']);
    await loggerProvider.shutdown();
  });

  it('never rejects, and gives up on a provider that hangs after the timeout', async () => {
    const hang = provider(() => new Promise<void>(() => undefined));
    const fail = provider(() => Promise.reject(new Error('export failed')));
    const started = performance.now();
    await expect(flushProviders({ tracerProvider: hang, loggerProvider: fail, meterProvider: fail }, 50)).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(flushProviders({ tracerProvider: fail }, 5000)).resolves.toBeUndefined();
  });
});
