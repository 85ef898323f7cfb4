import { context, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isTracingSuppressed } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../../src/sdk/delivery/Delivery.js';
import { jsonRequestBuilder } from '../../support/jsonRequestBuilder.js';
import { DurableBatchProcessor } from '../../../src/sdk/delivery/DurableBatchProcessor.js';
import type { DeliveryCounts } from '../../../src/sdk/delivery/SpoolSender.js';

/** The context each write reached the delivery in: what an HTTP instrumentation would see for the sends it starts. */
interface Seen {
  suppressed: boolean;
  activeSpan: boolean;
}

/** A delivery that notes the context of each write, and resolves `next` on the next one. */
function recordingDelivery() {
  const seen: Seen[] = [];
  let resolveNext: (() => void) | undefined;
  const delivery: Delivery = {
    counts: {} as DeliveryCounts,
    write: () => {
      seen.push({ suppressed: isTracingSuppressed(context.active()), activeSpan: trace.getActiveSpan() !== undefined });
      resolveNext?.();
    },
    pending: () => 0,
    inflightRecords: () => 0,
    spoolBytes: () => 0,
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const next = () => new Promise<void>((resolve) => (resolveNext = resolve));
  return { delivery, seen, next };
}

const appSpan: Context = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
const manager = new AsyncLocalStorageContextManager();

describe('durable processors start their writes untraced, whatever the app has active', () => {
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    context.disable();
    manager.disable();
  });

  it('a full batch, a priority record, the sync interval, back-pressure, forceFlush and shutdown', async () => {
    let now = 0;
    const { delivery, seen, next } = recordingDelivery();
    const processor = new DurableBatchProcessor<number>({
      signal: 'logs',
      builder: jsonRequestBuilder(),
      isPriority: (n) => n < 0,
      delivery,
      maxBatchSize: 2,
      maxQueueSize: 4,
      syncIntervalMs: 1000,
      priorityDelayMs: 0,
      now: () => now,
    });
    const inApp = (fn: () => void) => context.with(appSpan, fn);
    // The records are handed over in the app's context; the processor itself adds nothing to it.
    inApp(() => expect(trace.getActiveSpan()).toBeDefined());

    let written = next();
    inApp(() => [1, 2].forEach((n) => processor.add(n))); // full: written once the caller yields
    await written;
    written = next();
    inApp(() => processor.add(-1)); // priority: written after priorityDelayMs
    await written;
    inApp(() => processor.add(3));
    now += 1000;
    inApp(() => processor.add(4)); // the sync interval has passed: written in the caller's turn
    // Back-pressure: a caller that never yields meets maxQueueSize and the write happens in its turn.
    inApp(() => [5, 6, 7, 8].forEach((n) => processor.add(n)));
    inApp(() => processor.add(9));
    await context.with(appSpan, () => processor.forceFlush());
    inApp(() => processor.add(10));
    await context.with(appSpan, () => processor.shutdown());

    expect(seen.length).toBeGreaterThanOrEqual(6);
    expect(seen.filter((s) => !s.suppressed || s.activeSpan)).toEqual([]);
  });
});
