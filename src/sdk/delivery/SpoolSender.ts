/*
 * Over 350 lines on purpose: the sender's states (sending, backing off, failing
 * over to the local folder, replaying) share one queue and one set of counters,
 * and every path must keep accepted = delivered + rejected + dropped + pending;
 * split, that invariant would span files.
 */
import { diag } from '@opentelemetry/api';
import { DELIVERY_ERROR_TYPE_VALUES } from '../../semconv.js';
import { MAX_RETRY_WAIT_MS, type OtlpHttpTransport, type SendResult } from './OtlpHttpTransport.js';
import { ReportOnce } from '../../core/ReportOnce.js';
import { alive, parseSpoolName, type Spool, type SpoolFile } from './Spool.js';

/** A request waiting for delivery: on disk, or in memory when the spool could not take it. */
interface Entry {
  readonly file: SpoolFile | undefined;
  /** Only in memory: the disk refused it. */
  readonly body: Uint8Array | undefined;
  readonly encoding: 'protobuf' | 'json';
  /** A copy of the file's body for its first send, dropped if that fails (memory stays bounded in an outage). */
  cached: Uint8Array | undefined;
  readonly records: number;
  /** A send failed once: it now waits for a retry. */
  failed: boolean;
  /** Evicted from the disk while its request was in flight. */
  evicted: boolean;
  /** Already counted as lost (memory only at close): a late answer changes nothing. */
  lost?: boolean;
}

/**
 * Where JSON requests go while no collector answers at the implicit local
 * default (connection failures only: a collector that answers 503 is there
 * and gets them later): a folder of OTLP JSON lines the collector can ingest.
 */
export interface LocalFallback {
  /** Appends one request as a line; throws if it cannot. Returns the records it evicted (oldest first) to stay within its size limit. */
  append(request: Uint8Array, records: number): { readonly records: number };
  /** How long the folder is used before the endpoint is tried again. */
  readonly recheckMs: number;
  /** Called at the first request that goes to the folder. */
  readonly announce: () => void;
}

export interface SpoolSenderOptions {
  readonly signal: 'traces' | 'logs';
  readonly spool: Spool;
  readonly transport: OtlpHttpTransport;
  /** Rejected records in an OTLP partial-success response, if any. */
  readonly rejected: (response: Uint8Array, encoding: 'protobuf' | 'json') => { count: number; message: string } | undefined;
  /** Requests in flight at once while the endpoint answers; one probe at a time while it does not. */
  readonly concurrency?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Requests held in memory when the disk refuses them, before they are dropped. */
  readonly maxMemoryBytes?: number;
  readonly onExport?: (seconds: number, result: SendResult) => void;
  readonly local?: LocalFallback;
  /**
   * A request the endpoint refuses for good stays on disk (counted in
   * `refused`, not lost) instead of being removed: the replay commands keep
   * what was not accepted unless told to drop it.
   */
  readonly keepRefused?: boolean;
  readonly now?: () => number;
}

/** Where every record went; per process: accepted + inherited = delivered + rejected + dropped + pending. */
export interface DeliveryCounts {
  /** Records found on disk at start, left by a process that is gone. */
  inherited: number;
  delivered: number;
  rejected: number;
  /** Records lost, by error.type (an HTTP status never retried, `evicted`, `spool_unavailable`, ...). */
  dropped: Record<string, number>;
  /** Records whose first send failed and that waited for a retry. */
  spooled: number;
  /** Records delivered after waiting. */
  replayed: number;
  /** Retried requests, by error.type. */
  retries: Record<string, number>;
  /** Of the delivered, records written to the local folder because no collector answered. */
  writtenLocally: number;
  /** With `keepRefused`: records the endpoint refused for good, kept on disk, by error.type. */
  refused: Record<string, number>;
  /** Records the local folder evicted, oldest first, to stay within its size limit (delivered there earlier, lost now). */
  localEvicted: number;
}

export const emptyCounts = (): DeliveryCounts => ({
  inherited: 0,
  delivered: 0,
  rejected: 0,
  dropped: {},
  spooled: 0,
  replayed: 0,
  retries: {},
  writtenLocally: 0,
  refused: {},
  localEvicted: 0,
});

/** Request bodies kept in memory for their first send, so it needs no read from disk. */
const CACHE_BYTES = 16 * 1024 * 1024;

const bump = (counts: Record<string, number>, key: string, n: number) => {
  counts[key] = (counts[key] ?? 0) + n;
};

/**
 * Sends spooled export requests oldest first, a bounded number at a time.
 * Connection failures, 429, 502, 503 and 504 are retried with jittered
 * exponential backoff that honours Retry-After, for as long as the process
 * lives; what is left is on disk for the next process. Any other status is
 * never retried: the request is removed, counted and reported once.
 */
export class SpoolSender {
  readonly counts: DeliveryCounts = emptyCounts();
  private readonly queue: Entry[] = [];
  private readonly inflight = new Set<Entry>();
  private readonly byFile = new Map<string, Entry>();
  private memoryBytes = 0;
  private cachedBytes = 0;
  private failing = false;
  /** Retryable failures so far: a send compressed across one is held back. */
  private failures = 0;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private closed = false;
  private readonly reported = new ReportOnce((_, message) => diag.error(`batchtel: ${message}`));
  /** Until when requests go to the local folder without trying the endpoint. */
  private localUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: SpoolSenderOptions) {
    this.backoffMs = Math.min(MAX_RETRY_WAIT_MS, options.baseBackoffMs ?? 200);
    this.now = options.now ?? Date.now;
    for (const file of options.spool.adopt()) {
      this.counts.inherited += file.records;
      this.push({ file, body: undefined, encoding: file.encoding, cached: undefined, records: file.records, failed: true, evicted: false });
    }
    if (this.queue.length > 0) {
      diag.info(`batchtel: replaying ${this.counts.inherited} ${options.signal} records a previous process left in the spool`);
      this.pump();
    }
  }

  /** Queues a request written to the spool; `body` saves reading it back for the first send (a `borrowed` one is copied to be kept). */
  enqueue(file: SpoolFile, body?: Uint8Array, borrowed = false): void {
    // Cached only while the endpoint answers, up to a bound, and when it goes soon: in an outage, or
    // behind a backlog (most of it evicted before its turn, in a long one), everything waits on disk.
    const soon = this.queue.length < (this.options.concurrency ?? 4);
    const cached = body && soon && !this.failing && this.cachedBytes + body.length <= CACHE_BYTES ? body : undefined;
    const cache = cached && borrowed ? cached.slice() : cached;
    if (cache) this.cachedBytes += cache.length;
    this.push({ file, body: undefined, encoding: file.encoding, cached: cache, records: file.records, failed: false, evicted: false });
    this.pump();
  }

  /** Queues a request the disk refused; kept in memory up to a bound, else dropped (counted). */
  enqueueInMemory(body: Uint8Array, records: number, encoding: 'protobuf' | 'json'): void {
    if (this.memoryBytes + body.length > (this.options.maxMemoryBytes ?? 64 * 1024 * 1024)) {
      this.drop(DELIVERY_ERROR_TYPE_VALUES.spoolUnavailable, records, 'the spool cannot be written and the memory fallback is full');
      return;
    }
    this.memoryBytes += body.length;
    this.push({ file: undefined, body, encoding, cached: undefined, records, failed: false, evicted: false });
    this.pump();
  }

  /** The spool evicted a file: its records are lost, counted here unless a live process owns it. */
  evicted(file: SpoolFile): void {
    const entry = this.byFile.get(file.name);
    if (entry && this.inflight.has(entry)) {
      // Counted when its send finishes, unless it is delivered after all.
      entry.evicted = true;
      return;
    }
    if (entry) {
      this.uncache(entry);
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.byFile.delete(file.name);
    } else {
      // Another live process's request: it counts the loss when it finds the file gone.
      const owner = parseSpoolName(file.name)?.pid;
      if (owner !== undefined && alive(owner)) return;
    }
    this.drop(DELIVERY_ERROR_TYPE_VALUES.evicted, file.records, 'the spool reached its size limit; the oldest requests were evicted');
  }

  /** Records queued or in flight. */
  pending(): number {
    let n = 0;
    for (const entry of this.queue) n += entry.records;
    return n + this.inflightRecords();
  }

  inflightRecords(): number {
    let n = 0;
    for (const entry of this.inflight) n += entry.records;
    return n;
  }

  /** Resolves once everything queued is delivered, or the endpoint is failing and nothing is in flight (the rest waits on disk). */
  flush(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Stops sending: requests in flight are aborted (a pending request never
   * keeps the process alive), what is on disk stays there for the next
   * process, and what only memory held is lost now, and counted now.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.transport.abort();
    this.options.spool.release();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let lost = 0;
    for (const entry of [...this.queue, ...this.inflight]) {
      if (entry.file) continue;
      lost += entry.records;
      entry.lost = true;
      this.inflight.delete(entry);
      const index = this.queue.indexOf(entry);
      if (index >= 0) this.queue.splice(index, 1);
      if (entry.body) this.memoryBytes -= entry.body.length;
    }
    if (lost > 0) this.drop(DELIVERY_ERROR_TYPE_VALUES.spoolUnavailable, lost, 'the spool could not hold these requests and the process is ending');
    this.notify(true);
  }

  private push(entry: Entry): void {
    this.queue.push(entry);
    if (entry.file) this.byFile.set(entry.file.name, entry);
  }

  private settled(): boolean {
    return this.inflight.size === 0 && (this.queue.length === 0 || this.failing || this.closed);
  }

  private notify(force = false): void {
    if (!force && !this.settled()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private pump(): void {
    if (this.closed || this.retryTimer) return;
    const limit = this.failing ? 1 : (this.options.concurrency ?? 4);
    while (this.inflight.size < limit && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      // send() handles its own failures; this catches what would otherwise be an unhandled rejection in the host app.
      this.send(entry).catch((error: unknown) => this.failed(entry, error));
    }
  }

  /** A send that threw (a bug, not an answer): the request is lost, counted and reported once. */
  private failed(entry: Entry, error: unknown): void {
    if (entry.lost) return;
    this.finish(entry);
    this.drop('send_failed', entry.records, `a request could not be sent (${(error as Error)?.name ?? 'error'})`);
    this.pump();
    this.notify();
  }

  private async send(entry: Entry): Promise<void> {
    this.inflight.add(entry);
    const body = entry.body ?? entry.cached ?? (entry.file ? this.options.spool.read(entry.file) : undefined);
    this.uncache(entry);
    if (!body) {
      this.finish(entry);
      this.drop(DELIVERY_ERROR_TYPE_VALUES.evicted, entry.records, 'a spooled request disappeared before it was sent');
      this.pump();
      return;
    }
    if (this.now() < this.localUntil && this.writeLocally(entry, body)) return;
    const started = performance.now();
    const epoch = this.failures;
    // A send that was still being compressed when another one failed waits its turn behind the retry.
    const result = await this.options.transport.send(body, entry.encoding, () => this.failures === epoch && !this.closed);
    if (entry.lost) return;
    if (this.closed && !result?.ok) {
      // Aborted at close: the file waits on disk for the next process (unless the spool evicted it meanwhile).
      this.inflight.delete(entry);
      if (entry.evicted) this.drop(DELIVERY_ERROR_TYPE_VALUES.evicted, entry.records, 'the spool reached its size limit; the oldest requests were evicted');
      else this.queue.unshift(entry);
      return;
    }
    if (!result) {
      this.inflight.delete(entry);
      this.queue.unshift(entry);
      this.notify();
      return;
    }
    this.options.onExport?.((performance.now() - started) / 1000, result);
    if (!result.ok && result.retryable && result.status === undefined && this.options.local) {
      // Nobody listens: the local default's folder takes it, and the next ones for a while.
      this.localUntil = this.now() + this.options.local.recheckMs;
      this.options.local.announce();
      if (this.writeLocally(entry, body)) return;
    }
    if (result.ok) {
      this.finish(entry);
      const rejected = this.readRejected(result, entry.encoding, entry.records);
      this.counts.delivered += entry.records - rejected;
      if (entry.failed) this.counts.replayed += entry.records - rejected;
      this.failing = false;
      this.backoffMs = Math.min(MAX_RETRY_WAIT_MS, this.options.baseBackoffMs ?? 200);
    } else if (!result.retryable && !entry.evicted && this.options.keepRefused && entry.file) {
      // Kept on disk, not retried by this process.
      this.inflight.delete(entry);
      this.byFile.delete(entry.file.name);
      bump(this.counts.refused, result.reason, entry.records);
      this.report(
        `refused_${result.reason}`,
        `the endpoint refused ${entry.records} ${this.options.signal} records with ${result.reason}; they stay in the spool`,
      );
    } else if (!result.retryable || entry.evicted) {
      this.finish(entry);
      if (entry.evicted) this.drop(DELIVERY_ERROR_TYPE_VALUES.evicted, entry.records, 'the spool reached its size limit; the oldest requests were evicted');
      else if (result.status === undefined)
        this.drop(result.reason, entry.records, `an export request cannot be made (${result.reason}: the endpoint must be an http:// or https:// URL)`);
      else this.drop(result.reason, entry.records, `the endpoint refused an export with ${result.reason}; such requests are not retried`);
      // Evicted or not, a failure worth retrying says the endpoint is failing: back off. (In a long
      // outage every send can outlive its file; the next ones went at once, and each new request was kept in memory.)
      if (result.retryable) this.endpointFailing(result.retryAfterMs);
    } else {
      this.inflight.delete(entry);
      if (!entry.failed) {
        entry.failed = true;
        this.counts.spooled += entry.records;
      }
      bump(this.counts.retries, result.reason, 1);
      // Back in front: oldest first.
      this.queue.unshift(entry);
      this.endpointFailing(result.retryAfterMs);
    }
    this.pump();
    this.notify();
  }

  /** Appends a JSON request to the local folder; false (and the request stays queued) when it is protobuf or the folder refuses it. */
  private writeLocally(entry: Entry, body: Uint8Array): boolean {
    if (entry.encoding !== 'json') return false;
    try {
      const evicted = this.options.local!.append(body, entry.records).records;
      if (evicted > 0) {
        this.counts.localEvicted += evicted;
        this.report(
          'local_evicted',
          `the local telemetry folder reached its size limit; the oldest ${this.options.signal} records are evicted (counted, not logged again)`,
        );
      }
    } catch (error) {
      this.report(
        'local_write',
        `the local telemetry folder cannot be written (${(error as Error & { code?: string }).code ?? (error as Error).name}); requests wait in the spool`,
      );
      return false;
    }
    this.finish(entry);
    this.counts.delivered += entry.records;
    this.counts.writtenLocally += entry.records;
    if (entry.failed) this.counts.replayed += entry.records;
    this.pump();
    this.notify();
    return true;
  }

  private uncache(entry: Entry): void {
    if (entry.cached) this.cachedBytes -= entry.cached.length;
    entry.cached = undefined;
  }

  private finish(entry: Entry): void {
    this.inflight.delete(entry);
    if (entry.file) {
      this.options.spool.remove(entry.file);
      this.byFile.delete(entry.file.name);
    }
    if (entry.body) this.memoryBytes -= entry.body.length;
  }

  /** Sends one at a time, after a backoff, and keeps no request in memory: everything waits on disk. */
  private endpointFailing(retryAfterMs: number | undefined): void {
    for (const queued of this.queue) this.uncache(queued);
    this.failing = true;
    this.failures++;
    this.scheduleRetry(retryAfterMs);
  }

  private scheduleRetry(retryAfterMs: number | undefined): void {
    if (this.closed || this.retryTimer) return;
    // Clamped before setTimeout: a delay past 2^31-1 ms would fire after 1 ms instead.
    const wait = Math.min(MAX_RETRY_WAIT_MS, Math.max(retryAfterMs ?? 0, (0.5 + Math.random() / 2) * this.backoffMs) || 0);
    this.backoffMs = Math.min(MAX_RETRY_WAIT_MS, this.options.maxBackoffMs ?? 30_000, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, wait);
    this.retryTimer.unref();
  }

  private readRejected(result: SendResult, encoding: 'protobuf' | 'json', records: number): number {
    if (!result.body || result.body.length === 0) return 0;
    const answer = this.options.rejected(result.body, encoding);
    // An endpoint's figure is not trusted beyond the request it answers.
    const count = Math.min(records, Math.max(0, Math.floor(answer?.count ?? 0) || 0));
    if (!answer || count === 0) return 0;
    const rejected = { count, message: answer.message };
    this.counts.rejected += rejected.count;
    this.report(
      DELIVERY_ERROR_TYPE_VALUES.rejected,
      `the endpoint rejected ${rejected.count} ${this.options.signal} records: ${rejected.message} (further rejections are counted, not logged)`,
    );
    return rejected.count;
  }

  private drop(reason: string, records: number, message: string): void {
    bump(this.counts.dropped, reason, records);
    this.report(reason, `${message}; ${records} ${this.options.signal} records lost (further losses of this kind are counted, not logged)`);
  }

  /** Once per reason: a storm of refusals is a counter, not a log flood. */
  private report(reason: string, message: string): void {
    this.reported.report(reason, message);
  }
}
