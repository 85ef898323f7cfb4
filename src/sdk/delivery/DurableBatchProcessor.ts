import { diag } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { BATCHTEL_WRITE_TRIGGER_VALUES as TRIGGER, DELIVERY_ERROR_TYPE_VALUES, type BatchtelWriteTrigger } from '../../semconv.js';
import { untraced } from '../Untraced.js';
import type { Delivery } from './Delivery.js';

export interface DurableBatchOptions<T> {
  readonly signal: 'traces' | 'logs';
  readonly encoding: 'protobuf' | 'json';
  /** Redacts and serialises a batch into one OTLP request body. */
  readonly encode: (items: T[]) => Uint8Array | undefined;
  /** Records that must reach the endpoint soon (errors, high priority). */
  readonly isPriority: (item: T) => boolean;
  /** Where encoded requests go: the spool, then the endpoint (on this thread or the export worker's). */
  readonly delivery: Delivery;
  /** Records per request; a full batch is written as soon as the caller yields. */
  readonly maxBatchSize?: number;
  /** Records held in memory before a write happens in the caller's turn (back-pressure instead of drops). */
  readonly maxQueueSize?: number;
  /**
   * A record's approximate encoded size. With it, a request also ends at
   * `maxBatchBytes`, and memory holds at most four such requests: encoding one
   * request stays a short pause for the caller however large its records are.
   */
  readonly sizeOf?: (item: T) => number;
  /** Approximate bytes per request when `sizeOf` is given (default 1 MiB). */
  readonly maxBatchBytes?: number;
  /** The longest a record stays in memory only: what a crash (SIGKILL) can lose. */
  readonly syncIntervalMs?: number;
  /** How soon a priority record is written and sent. */
  readonly priorityDelayMs?: number;
  /** How long shutdown waits for the endpoint; then in-flight requests are aborted and the rest stays on disk. */
  readonly shutdownTimeoutMs?: number;
  /**
   * The most time one event-loop turn spends encoding full batches (ms,
   * default 4); the rest is encoded in the next turns, as requests of their own.
   */
  readonly encodeBudgetMs?: number;
  readonly now?: () => number;
  /** A monotonic clock in ms for the encode budget (default `performance.now`). */
  readonly elapsed?: () => number;
}

/** Records cut for a request, not yet encoded; `from` is how far earlier slices took it. */
interface Cut<T> {
  readonly items: T[];
  from: number;
  readonly trigger: BatchtelWriteTrigger;
}

/** Until measured, a record is assumed to cost this much to encode (ms): cold code runs many times slower than warm. */
const FIRST_COST_MS = 0.02;
/** Fewest records a slice takes, so a slice's fixed cost stays small beside its records'. */
const MIN_SLICE = 32;

/** What the processor did with what it was handed. */
export interface ProcessorCounts {
  accepted: number;
  /** Not kept, by error.type. */
  refused: Record<string, number>;
  /** Requests written, by what set off the write. */
  requests: Partial<Record<BatchtelWriteTrigger, number>>;
}

/**
 * The batching half of durable delivery, shared by spans and log records.
 * Unlike the stock batch processors it never drops on a full queue. A full
 * batch (`maxBatchSize`) is encoded and written to the spool as soon as the
 * caller yields; a caller that does not yield meets `maxQueueSize`, and the
 * write then happens in its turn: back-pressure at a natural boundary, so a
 * tight synchronous loop slows a little instead of losing records. Every
 * `syncIntervalMs` (checked on each record, so a loop that never yields is
 * covered too, and by a timer when idle) the rest is written, which bounds
 * what a crash can lose. Priority records are written within
 * `priorityDelayMs`.
 *
 * Encoding is the app thread's largest share of delivery: 2,048 spans took
 * 4-19 ms warm and 38 ms the first time. A full batch written when the caller
 * yields is therefore encoded in slices of at most `encodeBudgetMs` per turn
 * (sized by the measured cost per record), the rest in the following turns,
 * so the caller's event loop never waits long on it. Writes that must finish
 * now (flush, shutdown, the sync interval, priority, back-pressure) encode
 * everything left, in order.
 */
export class DurableBatchProcessor<T> {
  readonly counts: ProcessorCounts = { accepted: 0, refused: {}, requests: {} };
  private buffer: T[] = [];
  /** Cut into requests, waiting for an encode turn. */
  private cuts: Array<Cut<T>> = [];
  private cutRecords = 0;
  private costPerRecordMs = FIRST_COST_MS;
  private encodeImmediate: NodeJS.Immediate | undefined;
  /** Each buffered record's size, when `sizeOf` is given. */
  private sizes: number[] = [];
  private bufferedBytes = 0;
  private lastWrite: number;
  private readonly interval: NodeJS.Timeout;
  private priorityTimer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly maxBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly maxBatchBytes: number;
  private readonly syncIntervalMs: number;
  private readonly now: () => number;
  private readonly elapsed: () => number;
  private readonly encodeBudgetMs: number;

  constructor(private readonly options: DurableBatchOptions<T>) {
    this.maxBatchSize = options.maxBatchSize ?? 2048;
    this.maxQueueSize = Math.max(this.maxBatchSize, options.maxQueueSize ?? 4 * this.maxBatchSize);
    this.maxBatchBytes = Math.max(1, options.maxBatchBytes ?? 1024 * 1024);
    this.syncIntervalMs = options.syncIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.elapsed = options.elapsed ?? (() => performance.now());
    this.encodeBudgetMs = options.encodeBudgetMs ?? 4;
    this.lastWrite = this.now();
    this.interval = untraced(() => setInterval(() => this.write(TRIGGER.interval), this.syncIntervalMs));
    this.interval.unref();
  }

  add(item: T): void {
    if (this.closed) {
      this.refuse(DELIVERY_ERROR_TYPE_VALUES.shutdown, 1);
      return;
    }
    this.counts.accepted++;
    this.buffer.push(item);
    if (this.options.sizeOf) {
      const size = this.options.sizeOf(item);
      this.sizes.push(size);
      this.bufferedBytes += size;
    }
    // The caller's context is the app's (an active span, maybe): writes, and the timers that
    // write later, start untraced, so an HTTP instrumentation never traces the export requests.
    // Only these branches pay for the context switch, not every record.
    if (this.buffer.length + this.cutRecords >= this.maxQueueSize || this.bufferedBytes >= 4 * this.maxBatchBytes) {
      untraced(() => this.write(TRIGGER.backpressure));
      return;
    }
    if (this.now() - this.lastWrite >= this.syncIntervalMs) {
      untraced(() => this.write(TRIGGER.interval));
      return;
    }
    if (this.buffer.length >= this.maxBatchSize || this.bufferedBytes >= this.maxBatchBytes) {
      this.immediate ??= untraced(() => setImmediate(() => this.write(TRIGGER.size)));
      return;
    }
    if (!this.priorityTimer && this.options.isPriority(item)) {
      this.priorityTimer = untraced(() => setTimeout(() => this.write(TRIGGER.priority), this.options.priorityDelayMs ?? 50));
      this.priorityTimer.unref();
    }
  }

  /** Records held in memory, not yet on disk. */
  buffered(): number {
    return this.buffer.length + this.cutRecords;
  }

  /** Writes what is buffered and waits until it is delivered or the endpoint is failing (then it waits on disk). */
  forceFlush(): Promise<void> {
    return untraced(async () => {
      this.write(TRIGGER.flush);
      await this.options.delivery.flush();
    });
  }

  /**
   * Writes what is buffered, waits (at most `shutdownTimeoutMs`) for delivery,
   * then closes the sender: requests in flight are aborted so none keeps the
   * process alive, and the final accounting is reported.
   */
  shutdown(): Promise<void> {
    return untraced(async () => {
      if (this.closed) return;
      this.write(TRIGGER.flush);
      this.closed = true;
      clearInterval(this.interval);
      await this.options.delivery.close(this.options.shutdownTimeoutMs ?? 5000);
      this.reportExit();
    });
  }

  /** accepted + inherited = delivered + rejected + lost + left on disk, once, at exit. */
  private reportExit(): void {
    const c = this.options.delivery.counts;
    const lost: Record<string, number> = { ...c.dropped };
    for (const [reason, n] of Object.entries(this.counts.refused)) if (reason !== DELIVERY_ERROR_TYPE_VALUES.shutdown) lost[reason] = (lost[reason] ?? 0) + n;
    const lostTotal = Object.values(lost).reduce((a, b) => a + b, 0);
    const left = this.options.delivery.pending();
    if (lostTotal === 0 && left === 0) return;
    const byReason = Object.entries(lost)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ');
    const message = `batchtel: ${this.options.signal} at exit: accepted ${this.counts.accepted} + inherited ${c.inherited} = delivered ${c.delivered} + rejected ${c.rejected} + left in the spool ${left} + lost ${lostTotal}${byReason ? ` (${byReason})` : ''}`;
    if (lostTotal > 0) diag.warn(message);
    else diag.info(message);
  }

  private write(trigger: BatchtelWriteTrigger): void {
    if (this.priorityTimer) clearTimeout(this.priorityTimer);
    this.priorityTimer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    const now = this.now();
    const buffer = this.buffer;
    this.buffer = [];
    const sizes = this.sizes;
    this.sizes = [];
    this.bufferedBytes = 0;
    if (!this.options.sizeOf) {
      for (let i = 0; i < buffer.length; i += this.maxBatchSize) this.cut(buffer.slice(i, i + this.maxBatchSize), trigger);
    } else {
      let start = 0;
      let bytes = 0;
      for (let i = 0; i < buffer.length; i++) {
        bytes += sizes[i] ?? 0;
        if (i + 1 - start >= this.maxBatchSize || bytes >= this.maxBatchBytes) {
          this.cut(buffer.slice(start, i + 1), trigger);
          start = i + 1;
          bytes = 0;
        }
      }
      if (start < buffer.length) this.cut(buffer.slice(start), trigger);
    }
    this.encode(trigger !== TRIGGER.size);
    // Every record in memory is younger than the last time all of memory went to disk: what
    // the sync interval is measured from, so a batch whose encoding waits for a turn is not
    // kept past it.
    if (this.cuts.length === 0) this.lastWrite = now;
  }

  private cut(items: T[], trigger: BatchtelWriteTrigger): void {
    this.cuts.push({ items, from: 0, trigger });
    this.cutRecords += items.length;
  }

  /** Encodes what is cut, oldest first: all of it, or what fits this turn's budget (the rest in the next turn). */
  private encode(all: boolean): void {
    if (this.encodeImmediate) clearImmediate(this.encodeImmediate);
    this.encodeImmediate = undefined;
    const started = this.elapsed();
    let slices = 0;
    while (this.cuts.length > 0) {
      const spent = this.elapsed() - started;
      // At least one slice per turn, so a budget spent elsewhere never starves the queue.
      if (!all && slices > 0 && spent >= this.encodeBudgetMs) {
        this.encodeImmediate = untraced(() => setImmediate(() => this.encode(false)));
        return;
      }
      const cut = this.cuts[0]!;
      const left = cut.items.length - cut.from;
      const fits = all ? left : Math.max(MIN_SLICE, Math.floor(Math.max(0, this.encodeBudgetMs - spent) / this.costPerRecordMs));
      const take = Math.min(left, fits);
      const items = take === cut.items.length ? cut.items : cut.items.slice(cut.from, cut.from + take);
      cut.from += take;
      if (cut.from === cut.items.length) this.cuts.shift();
      this.cutRecords -= take;
      const before = this.elapsed();
      this.writeBatch(items, cut.trigger);
      slices++;
      // A slower slice is believed at once (larger records, a GC); a faster one half-way (warming code).
      const cost = Math.max(1e-6, (this.elapsed() - before) / take);
      this.costPerRecordMs = cost > this.costPerRecordMs ? cost : (this.costPerRecordMs + cost) / 2;
    }
  }

  private writeBatch(items: T[], trigger: BatchtelWriteTrigger): void {
    let body: Uint8Array | undefined;
    try {
      body = this.options.encode(items);
    } catch (error) {
      diag.error(`batchtel: ${items.length} ${this.options.signal} records could not be serialised: ${(error as Error).name}`);
    }
    if (!body) {
      this.refuse(DELIVERY_ERROR_TYPE_VALUES.encode, items.length);
      return;
    }
    this.counts.requests[trigger] = (this.counts.requests[trigger] ?? 0) + 1;
    this.options.delivery.write(body, items.length);
  }

  private refuse(reason: string, n: number): void {
    this.counts.refused[reason] = (this.counts.refused[reason] ?? 0) + n;
  }
}
