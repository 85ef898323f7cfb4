import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace';
import { SPAN_BATCH_ITEM_PREFIX } from '../semconv.js';

/**
 * Leaves run, segment and chunk spans to the app's sampler (`base`: by
 * default parent-based, always on for a root, as the SDK's own default) and
 * thins item spans further by trace-ID ratio: item spans are the only ones
 * whose count follows the number of items.
 */
export class ItemSpanSampler implements Sampler {
  private readonly items: TraceIdRatioBasedSampler;

  constructor(
    private readonly ratio: number,
    private readonly base: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  ) {
    this.items = new TraceIdRatioBasedSampler(ratio);
  }

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const decision = this.base.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    if (decision.decision !== SamplingDecision.RECORD_AND_SAMPLED || !spanName.startsWith(`${SPAN_BATCH_ITEM_PREFIX} `)) return decision;
    return this.items.shouldSample(context, traceId);
  }

  toString(): string {
    return `ItemSpanSampler{items=${this.ratio}, base=${this.base.toString()}}`;
  }
}
