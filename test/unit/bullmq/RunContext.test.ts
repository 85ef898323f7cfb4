import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  RUN_CONTEXT_ENV,
  chunkRefOf,
  formatTraceparent,
  parseRunContext,
  parseTraceparent,
  runContextFromEnv,
  runSpanParent,
  serializeRunContext,
  type RunContext,
} from '../../../src/bullmq/RunContext.js';

const ctx: RunContext = {
  v: 1,
  runId: 'run-1',
  name: 'Sync users',
  operation: 'sync_users',
  queue: 'users',
  traceparent: formatTraceparent('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'),
};

describe('RunContext', () => {
  it('round-trips through JSON text and an environment variable', () => {
    const text = serializeRunContext(ctx);
    expect(parseRunContext(text)).toEqual(ctx);
    expect(runContextFromEnv({ [RUN_CONTEXT_ENV]: text })).toEqual(ctx);
    expect(runContextFromEnv({})).toBeUndefined();
  });

  it('rejects values that are not a run context', () => {
    expect(parseRunContext('not json')).toBeUndefined();
    expect(parseRunContext({ ...ctx, v: 2 })).toBeUndefined();
    expect(parseRunContext({ ...ctx, runId: '' })).toBeUndefined();
    expect(parseRunContext(null)).toBeUndefined();
  });

  it('makes the run span the remote parent of chunk spans', () => {
    const span = trace.getSpanContext(runSpanParent(ctx));
    expect(span).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', isRemote: true, traceFlags: 1 });
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(trace.getSpanContext(runSpanParent({ traceparent: 'garbage' }))).toBeUndefined();
  });

  it('reads a chunk reference from job data, and only a valid one', () => {
    expect(chunkRefOf({ items: [1], batchtel: { ...ctx, chunk: 3, size: 1 } })).toEqual({ ...ctx, chunk: 3, size: 1 });
    expect(chunkRefOf({ items: [1], batchtel: { ...ctx, chunk: -1, size: 1 } })).toBeUndefined();
    expect(chunkRefOf({ items: [1], batchtel: { ...ctx, chunk: 0, size: 1.5 } })).toBeUndefined();
    expect(chunkRefOf({ items: [1] })).toBeUndefined();
  });
});
