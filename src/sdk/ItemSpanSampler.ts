import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace';
import { SPAN_BATCH_ITEM_PREFIX } from '../semconv.js';

/**
 * Keeps every run, segment and chunk span, and samples item spans by trace-ID
 * ratio: item spans are the only ones whose count follows the number of items.
 */
export class ItemSpanSampler implements Sampler {
  private readonly items: TraceIdRatioBasedSampler;

  constructor(private readonly ratio: number) {
    this.items = new TraceIdRatioBasedSampler(ratio);
  }

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (spanName.startsWith(`${SPAN_BATCH_ITEM_PREFIX} `)) return this.items.shouldSample(context, traceId);
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }

  toString(): string {
    return `ItemSpanSampler{items=${this.ratio}}`;
  }
}
