import type { MeterProvider } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/api-logs';
import { isObject, providerSchema, v, type Input, type Output } from '../core/check.js';
import { registerOptionsPlace } from '../core/parseOptions.js';

/**
 * The options of `createEvents`, with their defaults. Checked at construction
 * by `parseOptions`: a wrong option throws one message naming the field.
 */

/** Event names are metric attribute values: short identifiers the app's code spells, never ids or free text. */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Keys of `values` become the `batch.event.measure` attribute. */
export const MEASURE_PATTERN = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

const RATE = 'expected a sampling rate from 0 to 1';
const rateSchema = v.custom<number>((value) => typeof value === 'number' && value >= 0 && value <= 1, RATE);
const ratesSchema = v.record(rateSchema, 'expected a Map or an object of event name → sampling rate').refine((rates) => {
  const bad = Object.keys(rates).find((name) => !EVENT_NAME_PATTERN.test(name));
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not an event name (1-128 letters, digits and _ . : -)`;
});

export const eventsOptionsSchema = v.strictObject({
  /** Share of each event name's records kept (`samplingRates`): a Map or an object, name → 0..1. */
  samplingRates: ratesSchema.default({}),
  /** Share kept of names not in `samplingRates`. */
  defaultSamplingRate: rateSchema.default(1),
  /** Defaults to the global logger provider at the first event. */
  loggerProvider: providerSchema<LoggerProvider>('getLogger').optional(),
  /** Defaults to the global meter provider at the first event. */
  meterProvider: providerSchema<MeterProvider>('getMeter').optional(),
  /** Uniform in [0, 1), like Math.random (the default); inject one for deterministic tests. */
  random: v.custom<() => number>((value) => typeof value === 'function', 'expected a function returning a number in [0, 1)').optional(),
  /**
   * Distinct event names, error types and measures kept apart, together; past it new ones are
   * folded into `_OTHER` (counted, reported once): memory and series stay bounded whatever the app passes.
   */
  maxSeries: v.number().int().min(10).max(100_000).default(2000),
});

registerOptionsPlace(eventsOptionsSchema, 'the createEvents options');

/** Options of `createEvents`: sampling rates per event name, series limit, providers. */
export type EventsOptionsInput = Omit<Input<typeof eventsOptionsSchema>, 'samplingRates'> & {
  samplingRates?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
};
export type EventsOptions = Output<typeof eventsOptionsSchema>;

/** A Map of sampling rates is read as the object it describes, so errors can name the entry. */
export function normalizeEventsInput(input: unknown): unknown {
  if (!isObject(input) || !(input['samplingRates'] instanceof Map)) return input;
  const rates = input['samplingRates'] as Map<unknown, unknown>;
  if (![...rates.keys()].every((key) => typeof key === 'string')) return input;
  return { ...input, samplingRates: Object.fromEntries(rates as Map<string, unknown>) };
}
