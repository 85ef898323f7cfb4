import { describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PresetIdGenerator } from '../../../src/sdk/PresetIdGenerator.js';

const SLOT = Symbol.for('batchtel.presetSpanIds');

describe('PresetIdGenerator', () => {
  it('gives the one span started while the slot is filled the preset IDs, and random IDs otherwise', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ idGenerator: new PresetIdGenerator(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('t');
    const slot = globalThis as Record<symbol, unknown>;
    slot[SLOT] = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
    const preset = tracer.startSpan('run');
    delete slot[SLOT];
    const other = tracer.startSpan('other');
    expect(preset.spanContext()).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
    expect(other.spanContext().traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(other.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});
