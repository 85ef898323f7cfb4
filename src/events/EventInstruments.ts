import type { Attributes, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { BATCH_METRICS } from '../semconv.js';
import { instrumentOptions } from '../instrument/instrumentOptions.js';
import { perMeterProvider } from '../instrument/perMeterProvider.js';

/** One attribute set of `batch.events` and the events counted into it, on the caller's side. */
export interface CountedSeries {
  readonly key: string;
  readonly attributes: Attributes;
  count: number;
}

/** An events instance: the series it counts into. */
export interface SeriesSource {
  readonly series: readonly CountedSeries[];
}

/**
 * The events instruments of one MeterProvider, created once. Event counts are
 * kept by the events instances as plain numbers and observed at collection
 * time, so counting an event never calls the SDK and totals are exact; values
 * go to the SDK's histograms, which do the aggregation.
 */
export class EventInstruments {
  readonly duration: Histogram;
  readonly value: Histogram;
  private readonly sources: SeriesSource[] = [];

  constructor(meter: Meter) {
    const m = BATCH_METRICS;
    this.duration = meter.createHistogram(m.eventDuration.name, instrumentOptions(m.eventDuration));
    this.value = meter.createHistogram(m.eventValue.name, instrumentOptions(m.eventValue));
    meter.createObservableCounter(m.events.name, instrumentOptions(m.events)).addCallback((result) => this.observe(result));
  }

  /** Counts of this source are reported from now on; sources stay for the provider's life, so totals never go back. */
  add(source: SeriesSource): void {
    if (!this.sources.includes(source)) this.sources.push(source);
  }

  private observe(result: ObservableResult): void {
    if (this.sources.length === 1) {
      for (const series of this.sources[0]!.series) result.observe(series.count, series.attributes);
      return;
    }
    // Several instances on one provider: the same attribute set is one series, summed.
    const merged = new Map<string, { attributes: Attributes; count: number }>();
    for (const source of this.sources) {
      for (const series of source.series) {
        const seen = merged.get(series.key);
        if (seen) seen.count += series.count;
        else merged.set(series.key, { attributes: series.attributes, count: series.count });
      }
    }
    for (const { attributes, count } of merged.values()) result.observe(count, attributes);
  }
}

/** Instruments for a provider, created on first use. */
export const eventInstrumentsFor = perMeterProvider((meter) => new EventInstruments(meter));
