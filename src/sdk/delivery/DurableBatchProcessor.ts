import { diag } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { BATCHTEL_WRITE_TRIGGER_VALUES as TRIGGER, DELIVERY_ERROR_TYPE_VALUES, type BatchtelWriteTrigger } from '../../semconv.js';
import { untraced } from '../Untraced.js';
import type { Delivery } from './Delivery.js';
import type { RequestBuilder } from './RequestBuilder.js';

export interface DurableBatchOptions<T> {
  readonly signal: 'traces' | 'logs';
  /** Encodes records into a request as they arrive. */
  readonly builder: RequestBuilder<T>;
  /** Masks secrets in a record before it is encoded. */
  readonly redact?: (item: T) => T;
  /** Records that must reach the endpoint soon (errors, high priority). */
  readonly isPriority: (item: T) => boolean;
  /** Where encoded requests go: the spool, then the endpoint (on this thread or the export worker's). */
  readonly delivery: Delivery;
  /** Records per request; a full request is written as soon as the caller yields. */
  readonly maxBatchSize?: number;
  /** Records held in memory before a write happens in the caller's turn (back-pressure instead of drops). */
  readonly maxQueueSize?: number;
  /** Bytes per request (default 1 MiB): memory holds at most four requests' worth however large the records are. */
  readonly maxBatchBytes?: number;
  /** The longest a record stays in memory only: what a crash (SIGKILL) can lose. */
  readonly syncIntervalMs?: number;
  /** How soon a priority record is written and sent. */
  readonly priorityDelayMs?: number;
  /** How long shutdown waits for the endpoint; then in-flight requests are aborted and the rest stays on disk. */
  readonly shutdownTimeoutMs?: number;
  /**
   * The most time one event-loop turn spends encoding what the caller handed
   * over (ms, default 4); the rest waits for the next turn.
   */
  readonly encodeBudgetMs?: number;
  readonly now?: () => number;
  /** A monotonic clock in ms for the encode budget (default `performance.now`). */
  readonly elapsed?: () => number;
}

/**
 * Records a caller hands over without yielding before they are encoded in its
 * turn (a tight loop), so what waits stays young and small. A caller that
 * yields has its backlog encoded in the turns that follow, within the budget,
 * however far behind: while V8 warms the encoder up it is slower than the
 * caller's loop, and catching up in the caller's turn would be its longest
 * stall. The queue's bounds (records, bytes) hold either way.
 */
const ENCODE_BEHIND = 1024;

/**
 * An empty array of the kind an array of records is. An empty literal is of another kind (small
 * integers) until a record is pushed, and the optimised encoder, shared by every signal's
 * processor, is thrown away when it meets the other kind (a signal with no records yet, written
 * on the sync interval).
 */
function emptyRecordArray<T>(): T[] {
  const array: unknown[] = [null];
  array.length = 0;
  return array as T[];
}

/** A full request, encoded, waiting for the caller to yield. */
interface Sealed {
  readonly body: Uint8Array;
  readonly records: number;
}

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
 * Unlike the stock batch processors it never drops on a full queue.
 *
 * Records are redacted and encoded (see ProtobufRequestBuilder) in the
 * event-loop turn after the caller hands them over, at most `encodeBudgetMs`
 * a turn: a loop that waits between turns pays nothing in its own, and a
 * batch waiting in memory is bytes, not the SDK's objects (holding 2,048 of
 * those until a batch was full had every young-generation collection copy
 * them). A full request (`maxBatchSize` records or `maxBatchBytes`) is
 * written to the spool in the same turn.
 *
 * A caller that does not yield has what it handed over encoded in its turn
 * every ENCODE_BEHIND records handed over since it last yielded (a backlog is
 * encoded in the turns after it), and meets `maxQueueSize`: the write then
 * happens in its turn, back-pressure at a natural boundary, so a tight
 * synchronous loop slows a little instead of losing records. Every
 * `syncIntervalMs` (checked on each record, so a loop that never yields is
 * covered too, and by a timer when idle) everything is written, which bounds
 * what a crash can lose. Priority records are written within
 * `priorityDelayMs`.
 */
export class DurableBatchProcessor<T> {
  readonly counts: ProcessorCounts = { accepted: 0, refused: {}, requests: {} };
  private readonly builder: RequestBuilder<T>;
  /** Handed over, not yet encoded (at most a turn's worth, or ENCODE_BEHIND). */
  private readonly arrived: T[] = emptyRecordArray();
  private encodeImmediate: NodeJS.Immediate | undefined;
  /** Of the last request, so records not yet encoded can be counted toward the byte bounds. */
  private bytesPerRecord = 0;
  /** See limitArrived. */
  private arrivedLimit = ENCODE_BEHIND;
  /** Full requests not yet handed to delivery, oldest first. */
  private sealed: Sealed[] = [];
  private sealedRecords = 0;
  private sealedBytes = 0;
  private lastWrite: number;
  private readonly interval: NodeJS.Timeout;
  private priorityTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private encodeFailed = false;
  private readonly maxBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly maxBatchBytes: number;
  private readonly syncIntervalMs: number;
  private readonly now: () => number;
  private readonly elapsed: () => number;
  private readonly encodeBudgetMs: number;

  constructor(private readonly options: DurableBatchOptions<T>) {
    this.builder = options.builder;
    this.maxBatchSize = options.maxBatchSize ?? 2048;
    this.maxQueueSize = Math.max(this.maxBatchSize, options.maxQueueSize ?? 4 * this.maxBatchSize);
    this.maxBatchBytes = Math.max(1, options.maxBatchBytes ?? 1024 * 1024);
    this.syncIntervalMs = options.syncIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.elapsed = options.elapsed ?? (() => performance.now());
    this.encodeBudgetMs = options.encodeBudgetMs ?? 4;
    this.limitArrived();
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
    const arrived = this.arrived;
    arrived.push(item);
    // The caller's context is the app's (an active span, maybe): writes, and the timers that
    // write later, start untraced, so an HTTP instrumentation never traces the export requests.
    // Only these branches pay for the context switch, not every record.
    if (arrived.length >= this.arrivedLimit && this.arrivedFull()) return;
    // Also after a full encode in this turn: a full request it made goes out once the caller yields.
    if (this.encodeImmediate === undefined) this.encodeImmediate = untraced(() => setImmediate(() => this.encodeTurn()));
    if (this.now() - this.lastWrite >= this.syncIntervalMs) {
      untraced(() => this.write(TRIGGER.interval));
      return;
    }
    if (!this.priorityTimer && this.options.isPriority(item)) {
      this.priorityTimer = untraced(() => setTimeout(() => this.write(TRIGGER.priority), this.options.priorityDelayMs ?? 50));
      this.priorityTimer.unref();
    }
  }

  /** Records held in memory, not yet on disk. */
  buffered(): number {
    return this.arrived.length + this.builder.records + this.sealedRecords;
  }

  /**
   * As many records as wait unencoded before one of the bounds is met (ENCODE_BEHIND more
   * than wait now, a request's bytes, `maxQueueSize`, four requests' bytes): `add` compares
   * one number. Set after each encode, so the first bound counts what arrived since.
   */
  private limitArrived(): void {
    const held = this.builder.records + this.sealedRecords;
    const heldBytes = this.builder.bytes + this.sealedBytes;
    let limit = Math.min(this.arrived.length + ENCODE_BEHIND, this.maxQueueSize - held);
    if (this.bytesPerRecord > 0)
      limit = Math.min(limit, Math.ceil(this.maxBatchBytes / this.bytesPerRecord), Math.ceil((4 * this.maxBatchBytes - heldBytes) / this.bytesPerRecord));
    this.arrivedLimit = Math.max(1, limit);
  }

  /** A bound is met: what arrived is encoded now, and written in the caller's turn when memory holds too much (true then). */
  private arrivedFull(): boolean {
    this.encodeArrived(Number.POSITIVE_INFINITY);
    if (this.buffered() >= this.maxQueueSize || this.bufferedBytes() >= 4 * this.maxBatchBytes) {
      untraced(() => this.write(TRIGGER.backpressure));
      return true;
    }
    return false;
  }

  /** Bytes held in memory: encoded, and an estimate for what still waits to be encoded. */
  private bufferedBytes(): number {
    return this.arrived.length * this.bytesPerRecord + this.builder.bytes + this.sealedBytes;
  }

  /** Encodes what arrived, oldest first, until `budgetMs` is spent (checked every few records). */
  private encodeArrived(budgetMs: number): void {
    const arrived = this.arrived;
    const started = budgetMs === Number.POSITIVE_INFINITY ? 0 : this.elapsed();
    const redact = this.options.redact;
    const builder = this.builder;
    let i = 0;
    while (i < arrived.length) {
      const item = arrived[i++]!;
      let added = false;
      try {
        added = builder.add(redact ? redact(item) : item);
      } catch {
        // counted below, like a record the builder refused
      }
      if (!added) this.encodeFailure(1);
      else if (builder.records >= this.maxBatchSize || builder.bytes >= this.maxBatchBytes) this.seal();
      if ((i & 63) === 0 && budgetMs !== Number.POSITIVE_INFINITY && this.elapsed() - started >= budgetMs) break;
    }
    // Emptied in place, not replaced by a literal (see emptyRecordArray).
    if (i === arrived.length) arrived.length = 0;
    else arrived.splice(0, i);
    this.limitArrived();
  }

  /**
   * What the caller handed over in its last turn, encoded in the next: in a
   * loop that waits between turns (a timer, I/O) that is time it spends idle,
   * not time added to its turn, and a young-generation collection finds at
   * most a turn's worth of them alive to copy.
   */
  private encodeTurn(): void {
    this.encodeImmediate = undefined;
    this.encodeArrived(this.encodeBudgetMs);
    if (this.arrived.length > 0) this.encodeImmediate = untraced(() => setImmediate(() => this.encodeTurn()));
    if (this.sealed.length > 0) this.write(TRIGGER.size);
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
    // A full request goes out when the caller yields; any other write takes everything in memory.
    if (trigger !== TRIGGER.size) {
      if (this.encodeImmediate) clearImmediate(this.encodeImmediate);
      this.encodeImmediate = undefined;
      this.encodeArrived(Number.POSITIVE_INFINITY);
    }
    if (this.builder.records > 0) this.seal();
    const sealed = this.sealed;
    this.sealed = [];
    this.sealedRecords = 0;
    this.sealedBytes = 0;
    this.limitArrived();
    // Only a full request may wait (for the export worker's start): until the sync interval's
    // bound (everything older than the last full write is written, what goes now arrived since).
    // Priority, interval, back-pressure and flush writes are wanted now.
    const mayWaitMs = trigger === TRIGGER.size ? Math.max(0, this.lastWrite + this.syncIntervalMs - this.now()) : 0;
    for (const request of sealed) {
      this.counts.requests[trigger] = (this.counts.requests[trigger] ?? 0) + 1;
      this.options.delivery.write(request.body, request.records, mayWaitMs);
    }
    // The sync interval is measured from the last time all of memory went to disk, and a
    // priority record not yet encoded still has its timer.
    if (this.arrived.length > 0) return;
    this.lastWrite = this.now();
    if (this.priorityTimer) clearTimeout(this.priorityTimer);
    this.priorityTimer = undefined;
  }

  /** Ends the request being built; it waits with the other full ones for the next write. */
  private seal(): void {
    const records = this.builder.records;
    // The builder's count (exact for protobuf, estimated for JSON) is what every byte bound compares.
    const bytes = this.builder.bytes;
    const body = this.builder.take();
    if (!body) {
      this.encodeFailure(records);
      return;
    }
    this.sealed.push({ body, records });
    this.sealedRecords += records;
    this.sealedBytes += bytes;
    this.bytesPerRecord = bytes / records;
  }

  private encodeFailure(records: number): void {
    this.refuse(DELIVERY_ERROR_TYPE_VALUES.encode, records);
    if (this.encodeFailed) return;
    this.encodeFailed = true;
    diag.error(`batchtel: ${records} ${this.options.signal} records could not be serialised (counted as error.type=encode; said once)`);
  }

  private refuse(reason: string, n: number): void {
    this.counts.refused[reason] = (this.counts.refused[reason] ?? 0) + n;
  }
}
