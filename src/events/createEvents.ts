import { metrics, type Attributes, type AttributeValue, type Histogram } from '@opentelemetry/api';
import { logs, SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { describeValue } from '../core/check.js';
import { parseOptions } from '../core/parseOptions.js';
import {
  ATTR_BATCH_EVENT_MEASURE,
  ATTR_BATCH_EVENT_NAME,
  ATTR_BATCH_EVENT_PRIORITY,
  ATTR_BATCH_EVENT_SAMPLE_RATE,
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_TYPE,
  BATCH_EVENT_OTHER,
  BATCH_EVENT_PRIORITY_VALUES,
  SCOPE_NAME,
  type BatchEventPriority,
} from '../semconv.js';
import { VERSION } from '../version.js';
import { EventProblems, type EventProblemCode } from './EventProblems.js';
import { eventInstrumentsFor, type CountedSeries, type EventInstruments, type SeriesSource } from './EventInstruments.js';
import { EVENT_NAME_PATTERN, MEASURE_PATTERN, eventsOptionsSchema, normalizeEventsInput, type EventsOptions, type EventsOptionsInput } from './options.js';
import { SEVERITY_TEXT } from '../instrument/severityText.js';
import { seriesKey } from '../instrument/seriesKey.js';

/** What one event may carry besides its attributes. */
export interface EventOptions {
  /**
   * Priority. Default `high` for errors, else `normal`. `high` is never
   * sampled out and is sent within the SDK's priority delay; `low` is a label only.
   */
  readonly priority?: BatchEventPriority;
  /**
   * Numbers aggregated into histograms for every event, sampled in or out. Keys ending in
   * `Ms` or `_ms` are durations in milliseconds and go to `batch.event.duration` in
   * seconds (`durationMs` → measure `duration`); others go to `batch.event.value` as given.
   * Sampled-in records carry them as attributes too.
   */
  readonly values?: Readonly<Record<string, number>>;
}

/** Counts of `createEvents` in process. */
export interface EventsStats {
  /** Every call of `event()`. */
  readonly events: number;
  /** Log records handed to the logger. */
  readonly recorded: number;
  /** Events whose record was sampled out (still counted and aggregated). */
  readonly sampledOut: number;
  /** Bad input and failures, by kind: counted, reported once through `diag`. */
  readonly problems: Partial<Record<EventProblemCode, number>>;
}

/** What `createEvents` returns. */
export interface Events {
  /**
   * Records one analytics event: counted into `batch.events`, its `values` into
   * histograms, and, when sampled in, emitted as a log record with `eventName`.
   * Errors (an `error.type`, `exception.type`, `exception.message` or truthy `error`
   * attribute) and high-priority events are never sampled out. Never throws.
   */
  event(name: string, attributes?: Attributes, options?: EventOptions): void;
  /** Counts so far: events, records emitted, sampled out, problems by kind. */
  stats(): EventsStats;
}

/**
 * Analytics-style events on the logs signal (on OpenTelemetry):
 * sampling per event name with errors and high priority always kept, exact
 * counts and value histograms through the metrics SDK. Options are checked
 * here; nothing after construction throws.
 *
 * @example
 * ```ts
 * import { createEvents } from 'batchtel';
 *
 * const events = createEvents({ samplingRates: { cache_hit: 0.05 } });
 * events.event('command.used', { 'command.name': 'help' }, { values: { durationMs: 250 } });
 * events.event('cache_hit', {}, { priority: 'low' });
 * ```
 */
export function createEvents(options: EventsOptionsInput = {}): Events {
  return new EventsRecorder(parseOptions(eventsOptionsSchema, normalizeEventsInput(options), 'createEvents options'));
}

const PRIORITIES: ReadonlySet<unknown> = new Set(Object.values(BATCH_EVENT_PRIORITY_VALUES));
const PRIORITY_INDEX: Readonly<Record<BatchEventPriority, number>> = { high: 0, normal: 1, low: 2 };
/** The older flag for a failed event; `error.type` is the semantic-convention way. */
const ERROR_FLAG = 'error';
const DURATION_SUFFIX = /(?:Ms|_ms)$/;
/** Largest magnitude of one value: the histograms' sums stay finite however many are recorded. */
export const MAX_EVENT_VALUE = 1e15;

interface Measure {
  readonly histogram: Histogram;
  /** Milliseconds recorded as seconds. */
  readonly duration: boolean;
  readonly attributes: Attributes;
  /** The same with `error.type`, per error type. */
  readonly errors: Map<string, Attributes>;
}

interface NameState {
  readonly name: string;
  readonly rate: number;
  /** Counted series of non-error events, by priority index. */
  readonly plain: Array<CountedSeries | undefined>;
  /** Counted series of errors, by `priority \0 error.type`. */
  readonly errors: Map<string, CountedSeries>;
  readonly measures: Map<string, Measure>;
}

interface Bound {
  readonly logger: Logger;
  readonly instruments: EventInstruments;
}

class EventsRecorder implements Events, SeriesSource {
  readonly series: CountedSeries[] = [];
  private readonly rates: ReadonlyMap<string, number>;
  private readonly random: () => number;
  private readonly names = new Map<string, NameState>();
  private readonly problems = new EventProblems();
  /** Names, error types and measures that may still be kept apart. */
  private budget: number;
  private bound: Bound | undefined;
  private total = 0;
  private recorded = 0;
  private sampledOut = 0;

  constructor(private readonly options: EventsOptions) {
    this.rates = new Map(Object.entries(options.samplingRates));
    this.random = options.random ?? Math.random;
    this.budget = options.maxSeries;
  }

  event(name: string, attributes?: Attributes, options?: EventOptions): void {
    this.total++;
    try {
      this.handle(name, attributes, options);
    } catch (error) {
      this.problems.report('telemetry_failed', `recording event ${describeValue(name)} failed: ${String(error)}`);
    }
  }

  stats(): EventsStats {
    return { events: this.total, recorded: this.recorded, sampledOut: this.sampledOut, problems: this.problems.toJSON() };
  }

  private handle(name: string, attributes: Attributes | undefined, options: EventOptions | undefined): void {
    const bound = this.bound ?? this.bind();
    const state = this.names.get(name) ?? this.nameState(name);
    let attrs = attributes;
    if (attrs !== undefined && (typeof attrs !== 'object' || attrs === null)) {
      this.problems.report('invalid_attributes', `attributes of event ${state.name} must be an object, got ${describeValue(attrs)}; ignored`);
      attrs = undefined;
    }
    let priority = options?.priority;
    if (priority !== undefined && !PRIORITIES.has(priority)) {
      this.problems.report(
        'invalid_priority',
        `priority of event ${state.name} must be high, normal or low, got ${describeValue(priority)}; taken as the default`,
      );
      priority = undefined;
    }
    const errorType = attrs === undefined ? undefined : errorTypeOf(attrs);
    const effective: BatchEventPriority = priority ?? (errorType === undefined ? 'normal' : 'high');

    // Every event is counted, sampled in or out: totals stay exact.
    (errorType === undefined ? this.plainSeries(state, effective) : this.errorSeries(state, effective, errorType)).count++;

    const forced = errorType !== undefined || effective === 'high';
    const keep = forced || state.rate >= 1 || (state.rate > 0 && this.random() < state.rate);
    const record: Attributes | undefined = keep ? { ...attrs } : undefined;
    if (!keep) this.sampledOut++;

    const values = options?.values;
    if (values !== undefined) this.recordValues(bound, state, values, errorType, record);

    if (record === undefined) return;
    record[ATTR_BATCH_EVENT_PRIORITY] = effective;
    record[ATTR_BATCH_EVENT_SAMPLE_RATE] = forced ? 1 : state.rate;
    const severityNumber = errorType !== undefined ? SeverityNumber.ERROR : effective === 'high' ? SeverityNumber.WARN : SeverityNumber.INFO;
    bound.logger.emit({ eventName: state.name, severityNumber, severityText: SEVERITY_TEXT[severityNumber], attributes: record });
    this.recorded++;
  }

  private recordValues(
    bound: Bound,
    state: NameState,
    values: Readonly<Record<string, number>>,
    errorType: string | undefined,
    record: Attributes | undefined,
  ): void {
    if (typeof values !== 'object' || values === null) {
      this.problems.report('invalid_value', `values of event ${state.name} must be an object of numbers, got ${describeValue(values)}; ignored`);
      return;
    }
    for (const key in values) {
      const value = values[key];
      if (typeof value !== 'number' || !(Math.abs(value) <= MAX_EVENT_VALUE)) {
        this.problems.report(
          'invalid_value',
          `value ${describeValue(key)} of event ${state.name} must be a number within ±${MAX_EVENT_VALUE}, got ${describeValue(value)}; skipped`,
        );
        continue;
      }
      const measure = state.measures.get(key) ?? this.measure(bound, state, key);
      if (measure.duration && value < 0) {
        this.problems.report('invalid_value', `duration ${describeValue(key)} of event ${state.name} must not be negative, got ${value}; skipped`);
        continue;
      }
      measure.histogram.record(
        measure.duration ? value / 1000 : value,
        errorType === undefined ? measure.attributes : this.measureErrorAttributes(measure, errorType),
      );
      if (record !== undefined) record[key] = value;
    }
  }

  private bind(): Bound {
    const loggerProvider = this.options.loggerProvider ?? logs.getLoggerProvider();
    const instruments = eventInstrumentsFor(this.options.meterProvider ?? metrics.getMeterProvider());
    instruments.add(this);
    this.bound = { logger: loggerProvider.getLogger(SCOPE_NAME, VERSION), instruments };
    return this.bound;
  }

  /** First sight of a name (or an invalid or over-the-limit one, every time: those are not kept). */
  private nameState(name: unknown): NameState {
    if (typeof name !== 'string' || !EVENT_NAME_PATTERN.test(name)) {
      this.problems.report('invalid_name', `event name ${describeValue(name)} is not 1-128 letters, digits and _ . : -; counted as ${BATCH_EVENT_OTHER}`);
      return this.otherName();
    }
    if (!this.spend(`event name ${name}`)) return this.otherName();
    return this.newName(name);
  }

  private otherName(): NameState {
    return this.names.get(BATCH_EVENT_OTHER) ?? this.newName(BATCH_EVENT_OTHER);
  }

  private newName(name: string): NameState {
    const state: NameState = {
      name,
      rate: this.rates.get(name) ?? this.options.defaultSamplingRate,
      plain: [undefined, undefined, undefined],
      errors: new Map(),
      measures: new Map(),
    };
    this.names.set(name, state);
    return state;
  }

  private plainSeries(state: NameState, priority: BatchEventPriority): CountedSeries {
    const index = PRIORITY_INDEX[priority];
    return (state.plain[index] ??= this.newSeries({ [ATTR_BATCH_EVENT_NAME]: state.name, [ATTR_BATCH_EVENT_PRIORITY]: priority }));
  }

  private errorSeries(state: NameState, priority: BatchEventPriority, errorType: string): CountedSeries {
    const key = `${priority}\u0000${errorType}`;
    const seen = state.errors.get(key);
    if (seen) return seen;
    if (errorType !== BATCH_EVENT_OTHER && !this.spend(`error.type ${errorType} of event ${state.name}`))
      return this.errorSeries(state, priority, BATCH_EVENT_OTHER);
    const series = this.newSeries({ [ATTR_BATCH_EVENT_NAME]: state.name, [ATTR_BATCH_EVENT_PRIORITY]: priority, [ATTR_ERROR_TYPE]: errorType });
    state.errors.set(key, series);
    return series;
  }

  private newSeries(attributes: Attributes): CountedSeries {
    const series: CountedSeries = { key: seriesKey(attributes), attributes, count: 0 };
    this.series.push(series);
    return series;
  }

  private measure(bound: Bound, state: NameState, key: string): Measure {
    const duration = DURATION_SUFFIX.test(key) || key === 'ms';
    let name = duration ? key.replace(DURATION_SUFFIX, '') || 'duration' : key;
    if (!MEASURE_PATTERN.test(key)) {
      this.problems.report(
        'invalid_value',
        `value key ${describeValue(key)} of event ${state.name} is not an identifier (letters, digits, _ and .); recorded as measure ${BATCH_EVENT_OTHER}`,
      );
      name = BATCH_EVENT_OTHER;
    } else if (!this.spend(`measure ${key} of event ${state.name}`)) {
      name = BATCH_EVENT_OTHER;
    }
    // Folded measures share one entry per kind; only well-formed keys within the limit are kept by their own key.
    const cacheKey = name === BATCH_EVENT_OTHER ? `\u0000${duration ? 'ms' : ''}` : key;
    const seen = state.measures.get(cacheKey);
    if (seen) return seen;
    const measure: Measure = {
      histogram: duration ? bound.instruments.duration : bound.instruments.value,
      duration,
      attributes: { [ATTR_BATCH_EVENT_NAME]: state.name, [ATTR_BATCH_EVENT_MEASURE]: name },
      errors: new Map(),
    };
    state.measures.set(cacheKey, measure);
    return measure;
  }

  private measureErrorAttributes(measure: Measure, errorType: string): Attributes {
    const seen = measure.errors.get(errorType);
    if (seen) return seen;
    if (errorType !== BATCH_EVENT_OTHER && !this.spend(`error.type ${errorType}`)) return this.measureErrorAttributes(measure, BATCH_EVENT_OTHER);
    const attributes = { ...measure.attributes, [ATTR_ERROR_TYPE]: errorType };
    measure.errors.set(errorType, attributes);
    return attributes;
  }

  /** Takes one from the series budget, or reports the overflow. */
  private spend(what: string): boolean {
    if (this.budget > 0) {
      this.budget--;
      return true;
    }
    this.problems.report(
      'series_overflow',
      `more than ${this.options.maxSeries} event names, error types and measures; ${what} and later ones are folded into ${BATCH_EVENT_OTHER}`,
    );
    return false;
  }
}

/** `error.type`, else `exception.type`, else `_OTHER` for an exception message or a truthy `error` flag; undefined for a non-error. */
function errorTypeOf(attributes: Attributes): string | undefined {
  const type = present(attributes[ATTR_ERROR_TYPE]) ?? present(attributes[ATTR_EXCEPTION_TYPE]);
  if (type !== undefined) return type;
  if (present(attributes[ATTR_EXCEPTION_MESSAGE]) !== undefined) return BATCH_EVENT_OTHER;
  const flag = attributes[ERROR_FLAG];
  return flag === undefined || flag === null || flag === false || flag === '' || flag === 0 ? undefined : BATCH_EVENT_OTHER;
}

function present(value: AttributeValue | undefined): string | undefined {
  if (value === undefined || value === null || value === '' || typeof value === 'object') return undefined;
  return String(value);
}
