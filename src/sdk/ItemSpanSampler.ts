import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { AlwaysOnSampler, ParentBasedSampler, SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace';
import { itemSampleValue } from '../core/itemSampling.js';
import { ATTR_BATCH_ITEM_ID, ATTR_BATCH_RUN_ID, SPAN_BATCH_ITEM_PREFIX } from '../semconv.js';

/** An item span's name starts with this (made once: the check runs for every span). */
const ITEM_SPAN_NAME_PREFIX = `${SPAN_BATCH_ITEM_PREFIX} `;

/**
 * Leaves run, segment and chunk spans to the app's sampler (`base`: by
 * default parent-based, always on for a root, as the SDK's own default) and
 * keeps `ratio` of the item spans it lets through, decided per span: all of a
 * run's items share one trace, so a trace-ID ratio would keep all of them or
 * none. The decision is a hash of the span's `batch.run.id` and `batch.item.id`
 * (the same span always gets the same answer); an item span without them is
 * decided by a hash of its trace ID and a counter.
 */
export class ItemSpanSampler implements Sampler {
  private unnamed = 0;

  constructor(
    private readonly ratio: number,
    private readonly base: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  ) {}

  /** The wrapped sampler's decision, thinned for item spans to `ratio` by a hash of the run and item ids. */
  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const decision = this.base.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    if (decision.decision !== SamplingDecision.RECORD_AND_SAMPLED || !spanName.startsWith(ITEM_SPAN_NAME_PREFIX)) return decision;
    if (this.ratio >= 1) return decision;
    const runId = attributes[ATTR_BATCH_RUN_ID];
    const itemId = attributes[ATTR_BATCH_ITEM_ID];
    const value = typeof runId === 'string' && typeof itemId === 'string' ? itemSampleValue(runId, itemId) : itemSampleValue(traceId, String(this.unnamed++));
    return value < this.ratio ? decision : { decision: SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return `ItemSpanSampler{items=${this.ratio}, base=${this.base.toString()}}`;
  }
}
