import type { IdGenerator } from '@opentelemetry/sdk-trace';
import { RandomHexIds } from './RandomHexIds.js';

/** The slot a distributed run's follower fills for the one span whose IDs were chosen before it started. */
const SLOT = Symbol.for('batchtel.presetSpanIds');

interface PresetIds {
  traceId: string;
  spanId: string;
}

/**
 * Random IDs (RandomHexIds), except for a span whose IDs were fixed in advance: a distributed
 * run's span is referenced (as the parent in every chunk job's traceparent)
 * long before the process that ends it exists. The follower fills the slot
 * synchronously around that one `startSpan` and empties it after.
 */
export class PresetIdGenerator implements IdGenerator {
  private readonly random = new RandomHexIds();

  generateTraceId(): string {
    return preset()?.traceId ?? this.random.traceId();
  }

  generateSpanId(): string {
    return preset()?.spanId ?? this.random.spanId();
  }
}

function preset(): PresetIds | undefined {
  return (globalThis as Record<symbol, PresetIds | undefined>)[SLOT];
}
