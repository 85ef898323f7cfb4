import { SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { DurableBatchProcessor } from './DurableBatchProcessor.js';

/** Error spans are sent within the priority delay. */
export const isPrioritySpan = (span: ReadableSpan): boolean => span.status.code === SpanStatusCode.ERROR;

/** A span processor that batches sampled spans into durable delivery (see DurableBatchProcessor). */
export class DurableSpanProcessor implements SpanProcessor {
  constructor(private readonly batch: DurableBatchProcessor<ReadableSpan>) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.batch.add(span);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
