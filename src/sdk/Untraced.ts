import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * Runs `fn` outside the app's context (no active span) with tracing
 * suppressed: an HTTP instrumentation then does not trace batchtel's own
 * export requests, and timers and promises started in `fn` (the delivery's
 * sends) keep that context.
 */
const UNTRACED = suppressTracing(ROOT_CONTEXT);
export function untraced<T>(fn: () => T): T {
  return context.with(UNTRACED, fn);
}

/**
 * A span processor whose work (and the sends it starts) runs untraced, whatever
 * span the app has active: for processors that start timers or sends in
 * `onEnd`. It costs a context switch per span, which the durable processors
 * avoid by switching only where they start a write.
 */
export class UntracedSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }
  onEnding(span: Span): void {
    this.inner.onEnding?.(span);
  }
  onEnd(span: ReadableSpan): void {
    untraced(() => this.inner.onEnd(span));
  }
  forceFlush(): Promise<void> {
    return untraced(() => this.inner.forceFlush());
  }
  shutdown(): Promise<void> {
    return untraced(() => this.inner.shutdown());
  }
}

/** The same for log records. */
export class UntracedLogRecordProcessor implements LogRecordProcessor {
  constructor(private readonly inner: LogRecordProcessor) {}
  onEmit(record: ReadWriteLogRecord, parentContext?: Context): void {
    untraced(() => this.inner.onEmit(record, parentContext));
  }
  forceFlush(): Promise<void> {
    return untraced(() => this.inner.forceFlush());
  }
  shutdown(): Promise<void> {
    return untraced(() => this.inner.shutdown());
  }
}
