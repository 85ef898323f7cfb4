import type { MetricOptions } from '@opentelemetry/api';
import type { MetricDefinition } from '../semconv.js';

/** An instrument's options as the contract defines it: description, unit and, for histograms, the contract's buckets. */
export const instrumentOptions = (def: MetricDefinition): MetricOptions => ({
  description: def.description,
  unit: def.unit,
  ...(def.buckets ? { advice: { explicitBucketBoundaries: [...def.buckets] } } : {}),
});
