import { SpanStatusCode } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { DeliveryPipeline } from '../../src/sdk/delivery/DeliveryMetrics.js';
import { createDurableSpanPipeline, type DurableDeliveryConfig } from '../../src/sdk/delivery/durablePipelines.js';

/**
 * A tracer provider whose spans go through durable delivery (JSON unless the
 * config says otherwise); the provider joins `providers`, for the caller's
 * afterEach to shut down.
 */
export function durableSpans(config: DurableDeliveryConfig, providers: TracerProvider[]) {
  const { processor, pipeline } = createDurableSpanPipeline({ encoding: 'json', ...config });
  const provider = new TracerProvider({ spanProcessors: [processor] });
  providers.push(provider);
  const tracer = provider.getTracer('test');
  let next = 0;
  return {
    provider,
    pipeline,
    /** Emits `n` spans named `span <k>`, with an ERROR status when `error`. */
    emit(n: number, error = false) {
      for (let i = 0; i < n; i++) {
        const span = tracer.startSpan(`span ${next++}`);
        if (error) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    },
  };
}

/** Per process: accepted + inherited = delivered + rejected + dropped + pending + buffered. */
export function accountingCloses(p: DeliveryPipeline): boolean {
  const c = p.sender.counts;
  const dropped = Object.values(c.dropped).reduce((a, b) => a + b, 0);
  return p.processor.counts.accepted + c.inherited === c.delivered + c.rejected + dropped + p.sender.pending() + p.processor.buffered();
}
