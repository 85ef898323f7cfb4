import { AggregationTemporality, InstrumentType, type AggregationTemporalitySelector } from '@opentelemetry/sdk-metrics';

/**
 * Cumulative sums and histograms (what Prometheus expects), but delta for
 * gauges. OTLP gauges carry no temporality, and under cumulative the JS SDK
 * keeps re-reporting every attribute set it ever saw: a finished run's
 * progress and ETA gauges would live on forever. Delta reports only what the
 * callback observed this time. Apps with their own NodeSDK pass this to their
 * metric exporter as `temporalityPreference`-style selector.
 */
export const batchtelTemporalitySelector: AggregationTemporalitySelector = (instrumentType) =>
  instrumentType === InstrumentType.OBSERVABLE_GAUGE || instrumentType === InstrumentType.GAUGE
    ? AggregationTemporality.DELTA
    : AggregationTemporality.CUMULATIVE;
