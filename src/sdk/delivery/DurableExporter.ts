import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { OtlpHttpTransport, SendResult } from './OtlpHttpTransport.js';
import type { Spool } from './Spool.js';

export interface DurableExporterOptions<T> {
  readonly signal: 'traces' | 'logs';
  readonly serialize: (items: T[]) => Uint8Array | undefined;
  /** Rejected items in an OTLP partial-success response, if any. */
  readonly rejected: (response: Uint8Array) => { count: number; message: string } | undefined;
  readonly transport: OtlpHttpTransport;
  readonly spool: Spool;
  /** How long one export keeps retrying before its request goes to the spool. */
  readonly retryWindowMs?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How often the spool is replayed while it holds requests. */
  readonly replayIntervalMs?: number;
}

/** What happened to every item handed to the exporter: sent = delivered + spooled + dropped. */
export interface DeliveryCounts {
  handed: number;
  delivered: number;
  spooled: number;
  replayed: number;
  rejected: number;
  dropped: number;
  evictedBytes: number;
  retries: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * An OTLP exporter that does not lose what it is handed. Retryable failures
 * (connection, 429, 502, 503, 504) are retried with jittered backoff that
 * honours Retry-After; what still fails after `retryWindowMs` goes to an
 * on-disk spool, replayed oldest first once the endpoint answers again, also
 * by the next process. A 400 and other permanent errors are never retried:
 * counted as dropped and reported. Partial success (`rejected_*`) is read.
 */
export class DurableExporter<T> {
  readonly counts: DeliveryCounts = { handed: 0, delivered: 0, spooled: 0, replayed: 0, rejected: 0, dropped: 0, evictedBytes: 0, retries: 0 };
  private replayTimer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;
  private readonly pending = new Set<Promise<void>>();
  private closed = false;
  private reportedPermanent = false;

  constructor(private readonly options: DurableExporterOptions<T>) {
    // A previous process may have left requests behind.
    if (options.spool.files().length > 0) this.scheduleReplay(0);
  }

  export(items: T[], done: (result: ExportResult) => void): void {
    this.counts.handed += items.length;
    const work = this.deliver(items).then(done, (error: unknown) => done({ code: ExportResultCode.FAILED, error: error as Error }));
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async deliver(items: T[]): Promise<ExportResult> {
    const body = this.options.serialize(items);
    if (!body) return { code: ExportResultCode.SUCCESS };
    const window = this.options.retryWindowMs ?? 5000;
    const deadline = Date.now() + window;
    let backoff = this.options.baseBackoffMs ?? 100;
    for (;;) {
      const result = await this.options.transport.send(body);
      if (result.ok) {
        this.counts.delivered += items.length - this.readRejected(result);
        if (this.options.spool.files().length > 0) this.scheduleReplay(0);
        return { code: ExportResultCode.SUCCESS };
      }
      if (!result.retryable) {
        this.counts.dropped += items.length;
        this.reportPermanent(result);
        return { code: ExportResultCode.FAILED, error: new Error(`OTLP export refused: ${result.reason}`) };
      }
      const wait = Math.max(result.retryAfterMs ?? 0, Math.random() * backoff);
      if (this.closed || Date.now() + wait > deadline) break;
      this.counts.retries++;
      await sleep(wait);
      backoff = Math.min(this.options.maxBackoffMs ?? 5000, backoff * 2);
    }
    if (this.options.spool.write(body)) {
      this.counts.spooled += items.length;
      this.scheduleReplay(this.options.replayIntervalMs ?? 1000);
      return { code: ExportResultCode.SUCCESS };
    }
    this.counts.dropped += items.length;
    diag.error(`batchtel: ${this.options.signal} could not be delivered nor spooled; ${items.length} items dropped`);
    return { code: ExportResultCode.FAILED, error: new Error('spool unavailable') };
  }

  private readRejected(result: SendResult): number {
    if (!result.body || result.body.length === 0) return 0;
    const rejected = this.options.rejected(result.body);
    if (!rejected || rejected.count === 0) return 0;
    this.counts.rejected += rejected.count;
    diag.warn(`batchtel: the collector rejected ${rejected.count} ${this.options.signal} items: ${rejected.message}`);
    return rejected.count;
  }

  private reportPermanent(result: SendResult): void {
    if (this.reportedPermanent) return;
    this.reportedPermanent = true;
    diag.error(`batchtel: OTLP ${this.options.signal} export refused with ${result.reason}; not retried (further refusals are counted, not logged)`);
  }

  private scheduleReplay(delay: number): void {
    if (this.closed || this.replayTimer) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replay();
    }, delay);
    this.replayTimer.unref();
  }

  /** Sends spooled requests oldest first, one at a time (back-pressure), until one fails. */
  replay(): Promise<void> {
    this.replaying ??= (async () => {
      try {
        for (const file of this.options.spool.files()) {
          const body = this.options.spool.read(file);
          if (!body) continue;
          const result = await this.options.transport.send(body);
          if (result.ok) {
            this.options.spool.remove(file);
            this.counts.replayed++;
            continue;
          }
          if (!result.retryable) {
            // A request the endpoint will never take: keep the spool moving.
            this.options.spool.remove(file);
            this.reportPermanent(result);
            continue;
          }
          this.scheduleReplay(Math.max(result.retryAfterMs ?? 0, this.options.replayIntervalMs ?? 1000));
          return;
        }
      } finally {
        this.replaying = undefined;
      }
    })();
    return this.replaying;
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
    await this.replay();
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
  }
}
