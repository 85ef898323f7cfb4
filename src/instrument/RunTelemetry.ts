/*
 * Over 350 lines on purpose: one listener maps every run event to spans,
 * metrics and log records, and the per-run state (open chunk spans, trace
 * segments, item spans) is shared by all of them.
 */
import {
  context as contextApi,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { logs, SeverityNumber, type Logger, type LoggerProvider } from '@opentelemetry/api-logs';
import type { Alert } from '../core/alert.js';
import type { ErrorInfo } from '../core/errors.js';
import type { Run } from '../core/Run.js';
import type { Chunk, ItemProgress, ItemStatus, RateLimitHit, RunListener, RunSummary } from '../core/runTypes.js';
import {
  ATTR_BATCH_ALERT_GROUP,
  ATTR_BATCH_ALERT_MESSAGE,
  ATTR_BATCH_ALERT_SEVERITY,
  ATTR_BATCH_ALERT_STATE,
  ATTR_BATCH_ALERT_THRESHOLD,
  ATTR_BATCH_ALERT_VALUE,
  ATTR_BATCH_CATEGORY,
  ATTR_BATCH_CHUNK_DURATION_AVG,
  ATTR_BATCH_CHUNK_DURATION_DEVIATION,
  ATTR_BATCH_CHUNK_DURATION_MAX,
  ATTR_BATCH_CHUNK_DURATION_MIN,
  ATTR_BATCH_CHUNK_DURATION_P50,
  ATTR_BATCH_CHUNK_DURATION_P95,
  ATTR_BATCH_CHUNK_DURATION_P99,
  ATTR_BATCH_CHUNK_INDEX,
  ATTR_BATCH_CHUNK_SIZE,
  ATTR_BATCH_ERRORS,
  ATTR_BATCH_ITEM_ID,
  ATTR_BATCH_ITEM_OUTCOME,
  ATTR_BATCH_ITEM_STAGE,
  ATTR_BATCH_ITEMS_FAILED,
  ATTR_BATCH_ITEMS_PER_SECOND,
  ATTR_BATCH_ITEMS_SKIPPED,
  ATTR_BATCH_ITEMS_SUCCEEDED,
  ATTR_BATCH_ITEMS_TOTAL,
  ATTR_BATCH_METADATA_PREFIX,
  ATTR_BATCH_NAME,
  ATTR_BATCH_OPERATION,
  ATTR_BATCH_RATE_LIMIT_HITS,
  ATTR_BATCH_RATE_LIMIT_RETRY_AFTER,
  ATTR_BATCH_RUN_ID,
  ATTR_BATCH_RUN_RESULT,
  ATTR_BATCH_RUN_SEGMENT,
  ATTR_BATCH_SERVICE,
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  BATCH_ITEM_OUTCOME_VALUES,
  EVENT_BATCH_ALERT,
  EVENT_BATCH_CHUNK_COMPLETED,
  EVENT_BATCH_RUN_FINISHED,
  EVENT_BATCH_RUN_STARTED,
  EVENT_EXCEPTION,
  GEN_AI_TOKEN_TYPE_VALUES,
  SCOPE_NAME,
  SPAN_EVENT_EXCEPTION,
  SPAN_EVENT_RATE_LIMITED,
  spanNameChunk,
  spanNameItem,
  spanNameRun,
  spanNameSegment,
} from '../semconv.js';
import { keepNth } from '../core/itemSampling.js';
import { instrumentsFor, type Instruments } from './Instruments.js';
import { VERSION } from '../version.js';
import { SEVERITY_TEXT } from './severityText.js';

export interface RunTelemetryConfig {
  readonly tracerProvider?: TracerProvider | undefined;
  readonly meterProvider?: MeterProvider | undefined;
  readonly loggerProvider?: LoggerProvider | undefined;
  /** Chunks per trace before the run continues in a new linked trace. */
  readonly maxChunksPerTrace: number;
  /** Age of a trace (ms) before the run continues in a new linked trace. */
  readonly maxTraceAgeMs: number;
  /** Share of tracked items (updateItem) that get their own span, 0..1, decided per item. */
  readonly itemSpanRatio: number;
  /** Emit a `batch.chunk.completed` log event per chunk (opt-in: the chunk span carries the same). */
  readonly chunkEvents: boolean;
  /** Also record exceptions as span events (deprecated in semconv 1.40; opt-in). */
  readonly exceptionSpanEvents: boolean;
  /**
   * A run split across processes (`batchtel/bullmq`): `contributor` (a worker)
   * emits chunk spans under the given parent and counts its own items, errors and
   * rate limits, but no run span, run events or run gauges; `coordinator` (the
   * follower) emits the run span, run events and the per-run gauges, and leaves
   * the counting to the contributors so Prometheus sums each item once.
   */
  readonly role?: 'run' | 'coordinator' | 'contributor' | undefined;
}

/** A chunk's span; its context is made on first use (most chunks never need it). */
interface ChunkSlot {
  readonly span: Span;
  readonly parent: Context;
  context: Context | undefined;
}

const chunkContext = (slot: ChunkSlot): Context => (slot.context ??= trace.setSpan(slot.parent, slot.span));

interface Segment {
  readonly index: number;
  readonly span: Span | undefined;
  readonly context: Context;
  readonly startTimeMs: number;
  chunks: number;
}

/**
 * Maps one run's core events onto the OpenTelemetry API: a run span, chunk
 * spans, metrics and log events. Depends on the API packages only, so it is a
 * no-op until the application installs an SDK.
 */
export class RunTelemetry implements RunListener {
  private readonly tracer: Tracer;
  private readonly logger: Logger;
  private readonly instruments: Instruments;
  /** Low-cardinality metric attributes, bound once per run. */
  private readonly base: Attributes;
  /** Run identity for spans, logs and per-run gauges. */
  private readonly identity: Attributes;
  private readonly errorAttrs = new Map<string, Attributes>();
  /** Made once: every chunk and item span of the run carries it. */
  private readonly chunkSpanName: string;
  private readonly itemSpanName: string;
  private runSpan: Span | undefined;
  private runContext: Context;
  private segment: Segment | undefined;
  private itemCounter = 0;
  private released = false;

  constructor(
    private readonly run: Run,
    private readonly options: RunTelemetryConfig,
    parentContext: Context = contextApi.active(),
  ) {
    const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
    const loggerProvider = options.loggerProvider ?? logs.getLoggerProvider();
    this.tracer = tracerProvider.getTracer(SCOPE_NAME, VERSION);
    this.logger = loggerProvider.getLogger(SCOPE_NAME, VERSION);
    this.instruments = instrumentsFor(options.meterProvider);
    const d = run.descriptor;
    const base: Attributes = { [ATTR_BATCH_OPERATION]: d.operation };
    if (d.category !== undefined) base[ATTR_BATCH_CATEGORY] = d.category;
    if (d.service !== undefined) base[ATTR_BATCH_SERVICE] = d.service;
    this.base = base;
    this.identity = { ...base, [ATTR_BATCH_RUN_ID]: d.id, [ATTR_BATCH_NAME]: d.name };
    this.runContext = parentContext;
    this.chunkSpanName = spanNameChunk(d.operation);
    this.itemSpanName = spanNameItem(d.operation);
  }

  /** Runs `fn` with the chunk's span active, so the caller's own spans nest under it. */
  withChunk<T>(chunk: Chunk, fn: () => T): T {
    const slot = chunk.slot as ChunkSlot | undefined;
    return slot ? contextApi.with(chunkContext(slot), fn) : fn();
  }

  /** The chunk's span, for callers that add to it without relying on a context manager. */
  chunkSpan(chunk: Chunk): Span | undefined {
    return (chunk.slot as ChunkSlot | undefined)?.span;
  }

  /** The context of the run span, for callers that start their own spans under the run. */
  get context(): Context {
    return this.runContext;
  }

  private get counts(): boolean {
    return this.options.role !== 'coordinator';
  }

  onStart(run: Run): void {
    if (this.options.role === 'contributor') {
      this.segment = { index: 0, span: undefined, context: this.runContext, startTimeMs: run.startTimeMs, chunks: 0 };
      this.instruments.track(run, this.base, this.identity, { gauges: false });
      return;
    }
    const d = run.descriptor;
    const attributes: Attributes = { ...this.identity };
    if (d.total !== undefined) attributes[ATTR_BATCH_ITEMS_TOTAL] = d.total;
    for (const [key, value] of Object.entries(d.metadata)) attributes[ATTR_BATCH_METADATA_PREFIX + key] = value;
    const parent = this.runContext;
    this.runSpan = this.tracer.startSpan(spanNameRun(d.operation), { kind: SpanKind.INTERNAL, attributes, startTime: run.startTimeMs }, parent);
    this.runContext = trace.setSpan(parent, this.runSpan);
    this.segment = { index: 0, span: undefined, context: this.runContext, startTimeMs: run.startTimeMs, chunks: 0 };
    this.instruments.runsActive.add(1, this.base);
    this.instruments.track(run, this.base, this.identity, { items: this.counts });
    this.emit(EVENT_BATCH_RUN_STARTED, SeverityNumber.INFO, attributes, this.runContext, run.startTimeMs);
  }

  onChunkStart(_run: Run, chunk: Chunk): void {
    if (!this.counts) return;
    const parent = this.segmentFor(chunk.startTimeMs);
    parent.chunks++;
    const span = this.tracer.startSpan(
      this.chunkSpanName,
      {
        kind: SpanKind.INTERNAL,
        startTime: chunk.startTimeMs,
        // The span name carries the operation; per-chunk attributes are kept to what identifies the chunk.
        attributes: {
          [ATTR_BATCH_RUN_ID]: this.run.id,
          [ATTR_BATCH_CHUNK_INDEX]: chunk.index,
          [ATTR_BATCH_CHUNK_SIZE]: chunk.size,
        },
      },
      parent.context,
    );
    // The chunk's context (for the handler and the chunk's log events) is made only when one of them needs it.
    const slot: ChunkSlot = { span, parent: parent.context, context: undefined };
    chunk.slot = slot;
  }

  onChunkEnd(_run: Run, chunk: Chunk): void {
    if (!this.counts) return;
    const slot = chunk.slot as ChunkSlot | undefined;
    const span = slot?.span;
    const seconds = Math.max(0, chunk.endTimeMs - chunk.startTimeMs) / 1000;
    const errorType = chunk.error?.errorType;
    if (span) {
      if (chunk.failed > 0) span.setAttribute(ATTR_BATCH_ITEMS_FAILED, chunk.failed);
      if (errorType !== undefined) {
        span.setAttribute(ATTR_ERROR_TYPE, errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: chunk.error!.message });
      }
      span.end(chunk.endTimeMs);
    }
    this.instruments.chunkDuration.record(seconds, errorType === undefined ? this.base : this.withError(errorType));
    if (this.options.chunkEvents) {
      // Chunk events are the one per-chunk log: only what identifies the chunk.
      // Operation, name, category and service are on the run's started/finished events.
      const attributes: Attributes = {
        [ATTR_BATCH_RUN_ID]: this.run.id,
        [ATTR_BATCH_CHUNK_INDEX]: chunk.index,
        [ATTR_BATCH_CHUNK_SIZE]: chunk.size,
        [ATTR_BATCH_ITEMS_FAILED]: chunk.failed,
      };
      if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
      this.emit(
        EVENT_BATCH_CHUNK_COMPLETED,
        errorType === undefined ? SeverityNumber.INFO : SeverityNumber.WARN,
        attributes,
        slot ? chunkContext(slot) : this.runContext,
        chunk.endTimeMs,
      );
    }
  }

  onError(_run: Run, error: ErrorInfo, chunk: Chunk | undefined): void {
    if (!this.counts) return;
    const attrs = this.withError(error.errorType);
    this.instruments.errors.add(1, attrs);
    const slot = chunk?.slot as ChunkSlot | undefined;
    const span = slot?.span ?? this.runSpan;
    const attributes: Attributes = {
      ...this.identity,
      [ATTR_ERROR_TYPE]: error.errorType,
      [ATTR_EXCEPTION_TYPE]: error.exceptionType,
      [ATTR_EXCEPTION_MESSAGE]: error.message,
    };
    if (error.stack !== undefined) attributes[ATTR_EXCEPTION_STACKTRACE] = error.stack;
    if (error.status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = error.status;
    if (chunk) attributes[ATTR_BATCH_CHUNK_INDEX] = chunk.index;
    if (error.retryAfterMs !== undefined) attributes[ATTR_BATCH_RATE_LIMIT_RETRY_AFTER] = error.retryAfterMs / 1000;
    this.emit(EVENT_EXCEPTION, SeverityNumber.ERROR, attributes, slot ? chunkContext(slot) : this.runContext);
    if (this.options.exceptionSpanEvents && span) {
      const eventAttributes: Attributes = { [ATTR_EXCEPTION_TYPE]: error.exceptionType, [ATTR_EXCEPTION_MESSAGE]: error.message };
      if (error.stack !== undefined) eventAttributes[ATTR_EXCEPTION_STACKTRACE] = error.stack;
      span.addEvent(SPAN_EVENT_EXCEPTION, eventAttributes);
    }
  }

  onRateLimit(_run: Run, hit: RateLimitHit, chunk: Chunk | undefined): void {
    if (!this.counts) return;
    this.instruments.rateLimitHits.add(1, this.base);
    const attributes: Attributes = {};
    if (hit.status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = hit.status;
    if (hit.retryAfterMs !== undefined) {
      attributes[ATTR_BATCH_RATE_LIMIT_RETRY_AFTER] = hit.retryAfterMs / 1000;
      this.instruments.rateLimitRetryAfter.record(hit.retryAfterMs / 1000, this.base);
    }
    const span = (chunk?.slot as ChunkSlot | undefined)?.span ?? this.runSpan;
    span?.addEvent(SPAN_EVENT_RATE_LIMITED, attributes);
  }

  onRetry(_run: Run, errorType: string): void {
    if (!this.counts) return;
    this.instruments.retries.add(1, this.withError(errorType));
  }

  onQuality(_run: Run, score: number): void {
    if (!this.counts) return;
    this.instruments.itemQuality.record(score, this.base);
  }

  onUsage(_run: Run, usage: { inputTokens: number; outputTokens: number; cost: number }): void {
    if (!this.counts) return;
    if (usage.inputTokens > 0) {
      this.instruments.tokens.add(usage.inputTokens, { ...this.base, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUES.input });
    }
    if (usage.outputTokens > 0) {
      this.instruments.tokens.add(usage.outputTokens, { ...this.base, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUES.output });
    }
    if (usage.cost > 0) this.instruments.cost.add(usage.cost, this.base);
  }

  onItem(_run: Run, item: ItemProgress, previous: ItemStatus | undefined): void {
    const ratio = this.options.itemSpanRatio;
    if (previous === undefined && ratio > 0) {
      // Each new item decided on its own: exactly `ratio` of them, spread evenly through the run.
      if (keepNth(this.itemCounter++, ratio)) {
        const parent = this.segmentFor(item.startTimeMs);
        item.slot = this.tracer.startSpan(
          this.itemSpanName,
          { startTime: item.startTimeMs, attributes: { [ATTR_BATCH_RUN_ID]: this.run.id, [ATTR_BATCH_ITEM_ID]: item.id } },
          parent.context,
        );
      }
    }
    const span = item.slot as Span | undefined;
    if (!span) return;
    if (item.stage !== undefined) span.setAttribute(ATTR_BATCH_ITEM_STAGE, item.stage);
    if (item.status === 'completed' || item.status === 'failed' || item.status === 'skipped') {
      const outcome =
        item.status === 'completed'
          ? BATCH_ITEM_OUTCOME_VALUES.success
          : item.status === 'failed'
            ? BATCH_ITEM_OUTCOME_VALUES.failure
            : BATCH_ITEM_OUTCOME_VALUES.skipped;
      span.setAttribute(ATTR_BATCH_ITEM_OUTCOME, outcome);
      if (item.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      item.slot = undefined;
    }
  }

  onAlert(_run: Run, alert: Alert): void {
    if (alert.state === 'firing') {
      this.instruments.alerts.add(1, {
        ...this.base,
        [ATTR_BATCH_ALERT_GROUP]: alert.group,
        [ATTR_BATCH_ALERT_SEVERITY]: alert.severity,
      });
    }
    this.emit(
      EVENT_BATCH_ALERT,
      alert.state === 'firing' ? SeverityNumber.WARN : SeverityNumber.INFO,
      {
        ...this.identity,
        [ATTR_BATCH_ALERT_GROUP]: alert.group,
        [ATTR_BATCH_ALERT_SEVERITY]: alert.severity,
        [ATTR_BATCH_ALERT_STATE]: alert.state,
        [ATTR_BATCH_ALERT_MESSAGE]: alert.message,
        [ATTR_BATCH_ALERT_VALUE]: alert.value,
        [ATTR_BATCH_ALERT_THRESHOLD]: alert.threshold,
      },
      this.runContext,
    );
  }

  /**
   * Stops reporting a run that another process finishes (a second follower of a
   * distributed run): its gauges stop, and its finish emits nothing here, so
   * the run has one run span and one summary event.
   */
  release(run: Run): void {
    if (this.released) return;
    this.released = true;
    if (this.options.role !== 'contributor') this.instruments.runsActive.add(-1, this.base);
    this.instruments.untrack(run);
  }

  onFinish(run: Run, summary: RunSummary): void {
    if (this.released) return;
    if (this.options.role === 'contributor') {
      this.instruments.untrack(run);
      return;
    }
    const stats = run.stats;
    const durations = stats.chunkDurations;
    const attributes: Attributes = {
      ...this.identity,
      [ATTR_BATCH_RUN_RESULT]: summary.result,
      [ATTR_BATCH_ITEMS_SUCCEEDED]: run.succeeded,
      [ATTR_BATCH_ITEMS_FAILED]: run.failed,
      [ATTR_BATCH_ITEMS_SKIPPED]: run.skipped,
      [ATTR_BATCH_ERRORS]: stats.errors,
      [ATTR_BATCH_RATE_LIMIT_HITS]: stats.rateLimitHits,
      [ATTR_BATCH_ITEMS_PER_SECOND]: run.itemsPerSecond(run.endTimeMs),
    };
    if (run.descriptor.total !== undefined) attributes[ATTR_BATCH_ITEMS_TOTAL] = run.descriptor.total;
    if (summary.errorType !== undefined) attributes[ATTR_ERROR_TYPE] = summary.errorType;
    if (durations.count > 0) {
      attributes[ATTR_BATCH_CHUNK_DURATION_MIN] = durations.min / 1000;
      attributes[ATTR_BATCH_CHUNK_DURATION_MAX] = durations.max / 1000;
      attributes[ATTR_BATCH_CHUNK_DURATION_AVG] = durations.mean / 1000;
      attributes[ATTR_BATCH_CHUNK_DURATION_P50] = durations.quantile(0.5) / 1000;
      attributes[ATTR_BATCH_CHUNK_DURATION_P95] = durations.quantile(0.95) / 1000;
      attributes[ATTR_BATCH_CHUNK_DURATION_P99] = durations.quantile(0.99) / 1000;
      const spread = durations.spreadPercent;
      if (spread !== undefined) attributes[ATTR_BATCH_CHUNK_DURATION_DEVIATION] = spread;
    }
    for (const [key, value] of Object.entries(run.descriptor.metadata)) attributes[ATTR_BATCH_METADATA_PREFIX + key] = value;

    this.segment?.span?.end(run.endTimeMs);
    if (this.runSpan) {
      this.runSpan.setAttributes({
        [ATTR_BATCH_RUN_RESULT]: summary.result,
        [ATTR_BATCH_ITEMS_SUCCEEDED]: run.succeeded,
        [ATTR_BATCH_ITEMS_FAILED]: run.failed,
        [ATTR_BATCH_ITEMS_SKIPPED]: run.skipped,
      });
      if (summary.errorType !== undefined) {
        this.runSpan.setAttribute(ATTR_ERROR_TYPE, summary.errorType);
        this.runSpan.setStatus({ code: SpanStatusCode.ERROR, message: summary.message ?? summary.result });
      }
      this.runSpan.end(run.endTimeMs);
    }
    const durationAttrs: Attributes = { ...this.base, [ATTR_BATCH_RUN_RESULT]: summary.result };
    if (summary.errorType !== undefined) durationAttrs[ATTR_ERROR_TYPE] = summary.errorType;
    this.instruments.runDuration.record(Math.max(0, summary.durationMs) / 1000, durationAttrs);
    this.instruments.runsActive.add(-1, this.base);
    this.instruments.untrack(run);
    this.emit(
      EVENT_BATCH_RUN_FINISHED,
      summary.result === 'success' ? SeverityNumber.INFO : SeverityNumber.ERROR,
      attributes,
      this.runContext,
      run.endTimeMs,
      summary.message,
    );
  }

  private withError(errorType: string): Attributes {
    let attrs = this.errorAttrs.get(errorType);
    if (!attrs) {
      attrs = { ...this.base, [ATTR_ERROR_TYPE]: errorType };
      this.errorAttrs.set(errorType, attrs);
    }
    return attrs;
  }

  /**
   * A run can outlive any tail-sampling window and any backend's appetite for
   * one trace. Past `maxChunksPerTrace` chunks or `maxTraceAgeMs`, chunks move
   * to a new trace under a segment span linked to the run span.
   */
  private segmentFor(nowMs: number): Segment {
    const current = this.segment ?? {
      index: 0,
      span: undefined,
      context: this.runContext,
      startTimeMs: nowMs,
      chunks: 0,
    };
    if (current.chunks < this.options.maxChunksPerTrace && nowMs - current.startTimeMs < this.options.maxTraceAgeMs) {
      this.segment = current;
      return current;
    }
    current.span?.end(nowMs);
    const index = current.index + 1;
    const runSpanContext = this.runSpan?.spanContext();
    const span = this.tracer.startSpan(
      spanNameSegment(this.run.descriptor.operation),
      {
        root: true,
        kind: SpanKind.INTERNAL,
        startTime: nowMs,
        attributes: { ...this.identity, [ATTR_BATCH_RUN_SEGMENT]: index },
        links: runSpanContext ? [{ context: runSpanContext, attributes: { [ATTR_BATCH_RUN_SEGMENT]: index } }] : [],
      },
      this.runContext,
    );
    this.segment = { index, span, context: trace.setSpan(this.runContext, span), startTimeMs: nowMs, chunks: 0 };
    return this.segment;
  }

  private emit(eventName: string, severityNumber: SeverityNumber, attributes: Attributes, context: Context, timestamp?: number, body?: string): void {
    // The SDK stamps the time itself when `timestamp` is undefined; an undefined `body` exports as no body.
    this.logger.emit({ eventName, severityNumber, severityText: SEVERITY_TEXT[severityNumber], attributes, context, timestamp, body });
  }
}
