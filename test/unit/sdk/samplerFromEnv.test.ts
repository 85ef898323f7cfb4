import { diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { ItemSpanSampler } from '../../../src/sdk/ItemSpanSampler.js';
import { samplerFromEnv } from '../../../src/sdk/samplerFromEnv.js';
import { spanNameChunk, SPAN_BATCH_ITEM_PREFIX } from '../../../src/semconv.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const parent = (sampled: boolean): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
const sampled = (sampler: Sampler, context: Context = ROOT_CONTEXT, name = spanNameChunk('sync')) =>
  sampler.shouldSample(context, TRACE, name, SpanKind.INTERNAL, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;

afterEach(() => diag.disable());

describe('OTEL_TRACES_SAMPLER', () => {
  it.each([
    // name, arg, root span, under a sampled parent, under a parent that was not sampled
    [undefined, undefined, true, true, false],
    ['always_on', undefined, true, true, true],
    ['always_off', undefined, false, false, false],
    ['traceidratio', 1, true, true, true],
    ['traceidratio', 0, false, false, false],
    ['parentbased_always_on', undefined, true, true, false],
    ['parentbased_always_off', undefined, false, true, false],
    ['parentbased_traceidratio', 0, false, true, false],
    ['PARENTBASED_TRACEIDRATIO', 1, true, true, false],
  ] as const)('%s (arg %s): root %s, sampled parent %s, unsampled parent %s', (name, arg, root, underSampled, underUnsampled) => {
    const sampler = samplerFromEnv(name, arg);
    expect(sampled(sampler)).toBe(root);
    expect(sampled(sampler, parent(true))).toBe(underSampled);
    expect(sampled(sampler, parent(false))).toBe(underUnsampled);
  });

  it('an unsupported sampler or an argument outside [0, 1] falls back as the specification says, and says so', () => {
    const warnings: string[] = [];
    diag.setLogger({ warn: (m: string) => warnings.push(m), error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    expect(sampled(samplerFromEnv('jaeger_remote', undefined), parent(false))).toBe(false);
    expect(sampled(samplerFromEnv('traceidratio', 7))).toBe(true);
    expect(warnings).toEqual([
      expect.stringContaining('OTEL_TRACES_SAMPLER=jaeger_remote is not supported'),
      expect.stringContaining('OTEL_TRACES_SAMPLER_ARG must be a ratio in [0, 1], got 7'),
    ]);
  });
});

describe('ItemSpanSampler', () => {
  const item = `${SPAN_BATCH_ITEM_PREFIX} sync`;
  it('leaves run and chunk spans to the base sampler and thins item spans by their own ratio on top', () => {
    const none = new ItemSpanSampler(0);
    const all = new ItemSpanSampler(1);
    expect(sampled(none)).toBe(true);
    expect(sampled(none, parent(true), item)).toBe(false);
    expect(sampled(all, parent(true), item)).toBe(true);
    // By default a parent's decision stands: a batch inside a request that was not sampled adds no orphans.
    expect(sampled(all, parent(false))).toBe(false);
    expect(sampled(all, parent(false), item)).toBe(false);
    // An app's sampler that drops a trace drops its items too, whatever their ratio.
    expect(sampled(new ItemSpanSampler(1, samplerFromEnv('always_off', undefined)), parent(true), item)).toBe(false);
  });
});
