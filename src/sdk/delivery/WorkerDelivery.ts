import { diag } from '@opentelemetry/api';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DELIVERY_ERROR_TYPE_VALUES } from '../../semconv.js';
import { addCounts, type Delivery, type DeliveryState } from './Delivery.js';
import { createSpoolDelivery, type DeliveryHooks, type DeliverySettings, type SpoolDelivery } from './SpoolDelivery.js';
import { emptyCounts, type DeliveryCounts } from './SpoolSender.js';
import type { SpoolView } from './DeliveryMetrics.js';
import type { ExportWorkerData, FromWorker, ToWorker } from './workerMessages.js';
import { WorkerHandOver } from './WorkerHandOver.js';

/** Deaths after which the worker is not started again: delivery moves to the app's thread. */
const MAX_RESTARTS = 5;

/**
 * How long the first requests wait in memory before the worker starts, at
 * most. A thread, its isolate and its modules take 50-90 ms of CPU to start,
 * and the first request comes while the app starts its batch (V8 still
 * compiling the app's code): on a machine with few cores the two compete,
 * which the app pays in its longest turns. Never longer than the requests'
 * records may stay in memory only (the sync interval's bound, less
 * WORKER_START_MS); a flush or close, or a request that may not wait (a
 * priority, interval or back-pressure write), starts it at once.
 */
const START_DELAY_MS = 250;
/** What a worker's start is allowed when its start is put off (it is ready in 50-90 ms). */
const WORKER_START_MS = 150;

/** The hand-over ring's size (how far the worker may fall behind), and how long the app's thread waits for room a request at most (see WorkerHandOver). */
export interface HandOverLimits {
  readonly maxBytes: number;
  readonly maxWaitMs: number;
}
/**
 * 8 MiB: twice what the batch processor may hold, where a worker that keeps
 * up holds a request or two. (What waited for the worker's start is moved to
 * it in buffers of its own, not through the ring.)
 */
const HAND_OVER_LIMITS: HandOverLimits = { maxBytes: 8 * 1024 * 1024, maxWaitMs: 1000 };

/**
 * The export worker's thread, started from the published bundle
 * (dist/sdk/exportWorker.js, next to the SDK entry and one level above the
 * shared chunks) or, running from TypeScript sources (tests, tsx), through
 * tsx's loader, which a worker thread does not inherit.
 */
export function startExportWorker(settings: DeliverySettings, handOver: WorkerHandOver): Worker {
  const workerData: ExportWorkerData = { settings, ring: handOver.ring, released: handOver.released };
  // Its output is passed on as it comes, not piped: a pipe makes the start set up this thread's
  // stdout and stderr streams (about half of what starting a worker costs the app's thread).
  const options = { workerData, stdout: true, stderr: true };
  const here = import.meta.url;
  let worker: Worker;
  if (!here.endsWith('.ts')) worker = new Worker(new URL('../sdk/exportWorker.js', here), options);
  else {
    // tsx's ESM API (its `require` export is the CommonJS build, which cannot load the ESM hooks here).
    const tsx = pathToFileURL(join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
    const entry = new URL('./exportWorker.ts', here).href;
    const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
    worker = new Worker(bootstrap, { ...options, eval: true });
  }
  worker.stdout.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  worker.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return worker;
}

interface Waiter {
  readonly resolve: () => void;
}

/**
 * Delivery on the export worker: each encoded request's buffer is transferred
 * (no copy) to a worker thread that spools, compresses, sends and retries it.
 * Counts come back by message. Requests written while the worker starts wait
 * here, so a worker that cannot start loses nothing: delivery then runs on
 * this thread (one warning). A worker that dies is started again; what it
 * held (sent to it, not yet delivered) is counted lost as `worker_exited`
 * (one warning), and the files it had written are adopted by its replacement.
 * Requests go through a ring of shared memory (see WorkerHandOver): a worker
 * that falls a full ring behind makes the app's thread wait for it (said once).
 */
export class WorkerDelivery implements Delivery {
  /** What workers that are gone counted, plus what they took with them. */
  private readonly base: DeliveryCounts = emptyCounts();
  private state: DeliveryState = { counts: emptyCounts(), pending: 0, inflight: 0, spoolBytes: 0 };
  private worker: Worker | undefined;
  private ready = false;
  /** Written before the worker was ready: kept here, not yet transferred. */
  private startQueue: Array<{ body: Uint8Array; records: number }> = [];
  /** Sent to the worker, not yet on its disk: id → records. */
  private readonly unacked = new Map<number, number>();
  private nextId = 0;
  private readonly flushes = new Map<number, Waiter>();
  private closing: Waiter | undefined;
  private closed = false;
  private restarts = 0;
  private fallback: SpoolDelivery | undefined;
  private warnedDeath = false;
  /** Set at the first start, so a write starts the worker once. */
  private spawned = false;
  /** Why the worker failed to start, for the fallback's warning. */
  private startFailed: unknown;
  /** Flushes and closes waiting for the worker to start. */
  private startWaiters: Array<() => void> = [];
  /** The put-off first start (see START_DELAY_MS), and when it is due. */
  private startTimer: NodeJS.Timeout | undefined;
  private startDue = Number.POSITIVE_INFINITY;
  /** Bytes written before the worker was ready. */
  private startQueueBytes = 0;
  /** The running worker's ring; a new one per worker. */
  private handOver: WorkerHandOver | undefined;
  private warnedWait = false;

  constructor(
    private readonly settings: DeliverySettings,
    private readonly hooks: DeliveryHooks,
    private readonly start: (settings: DeliverySettings, handOver: WorkerHandOver) => Worker = startExportWorker,
    private readonly limits: HandOverLimits = HAND_OVER_LIMITS,
  ) {
    // Started at the first request, or now if the spool holds requests to replay: a signal the app never uses costs no thread.
    if (this.spoolView().names().length > 0) this.spawn();
  }

  get counts(): DeliveryCounts {
    const counts = emptyCounts();
    addCounts(counts, this.base);
    addCounts(counts, this.fallback ? this.fallback.counts : this.state.counts);
    return counts;
  }

  /** The spool's size as last reported, and its request files as the folder lists them. */
  spoolView(): SpoolView {
    const prefix = `${this.settings.signal}-`;
    return {
      bytes: () => this.spoolBytes(),
      names: () => {
        try {
          return readdirSync(this.settings.spoolDir)
            .filter((name) => name.startsWith(prefix) && name.endsWith('.otlp'))
            .sort();
        } catch {
          return [];
        }
      },
    };
  }

  /** The worker thread, while one runs (tests end it to see a restart). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  write(body: Uint8Array, records: number, mayWaitMs = 0): void {
    if (this.fallback) {
      this.fallback.write(body, records);
      return;
    }
    if (!this.ready || !this.worker) {
      this.startQueueBytes += body.byteLength;
      // A put-off start ends early when what waits for it reaches the worker's own bound.
      if (!this.spawned) this.startWithin(this.startQueueBytes >= this.limits.maxBytes ? 0 : Math.min(START_DELAY_MS, mayWaitMs - WORKER_START_MS));
      if (this.fallback) {
        (this.fallback as SpoolDelivery).write(body, records);
        return;
      }
      this.startQueue.push({ body, records });
      this.updateRef();
      return;
    }
    this.post(body, records);
  }

  pending(): number {
    let n = this.fallback ? this.fallback.pending() : this.state.pending;
    for (const records of this.unacked.values()) n += records;
    for (const queued of this.startQueue) n += queued.records;
    return n;
  }

  inflightRecords(): number {
    return this.fallback ? this.fallback.inflightRecords() : this.state.inflight;
  }

  spoolBytes(): number {
    return this.fallback ? this.fallback.spoolBytes() : this.state.spoolBytes;
  }

  async flush(): Promise<void> {
    if (this.fallback) return this.fallback.flush();
    await this.whenStarted();
    if (this.fallback) return (this.fallback as SpoolDelivery).flush();
    const worker = this.worker;
    if (!worker) return;
    const id = this.nextId++;
    await new Promise<void>((resolve) => {
      this.flushes.set(id, { resolve });
      this.updateRef();
      this.send({ type: 'flush', id });
    });
  }

  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    const started = Date.now();
    if (!this.fallback) await Promise.race([this.whenStarted(), sleep(timeoutMs)]);
    this.closed = true;
    if (this.fallback) {
      await this.fallback.close(Math.max(0, timeoutMs - (Date.now() - started)));
      return;
    }
    const worker = this.worker;
    if (!worker) return;
    const left = Math.max(0, timeoutMs - (Date.now() - started));
    // The worker gives up at `left`; a worker that does not answer is ended a little later.
    await Promise.race([
      new Promise<void>((resolve) => {
        this.closing = { resolve };
        this.updateRef();
        this.send({ type: 'close', timeoutMs: left });
      }),
      sleep(left + 2000),
    ]);
    this.worker = undefined;
    await worker.terminate();
  }

  /** Starts the worker within `ms` (now, if 0 or less): the earliest of the requests' limits. */
  private startWithin(ms: number): void {
    if (ms <= 0) {
      this.spawn();
      return;
    }
    const due = Date.now() + ms;
    if (due >= this.startDue) return;
    clearTimeout(this.startTimer);
    this.startDue = due;
    // Held: the requests waiting for it keep the process alive until they are on disk.
    this.startTimer = setTimeout(() => this.spawn(), ms);
  }

  private whenStarted(): Promise<void> {
    if (!this.spawned && this.startTimer) this.spawn();
    if (this.ready || this.fallback || !this.worker) return Promise.resolve();
    return new Promise((resolve) => {
      this.startWaiters.push(resolve);
      this.updateRef();
    });
  }

  /**
   * Hands one request to the running worker: through its ring (waiting for
   * room while it is full), or, where it does not fit, the wait ran out or
   * `viaRing` is false, in a buffer of its own.
   */
  private post(body: Uint8Array, records: number, viaRing = true): void {
    const id = this.nextId++;
    this.unacked.set(id, records);
    this.updateRef();
    const handOver = this.handOver!;
    const placed = viaRing && handOver.place(body, true);
    if (viaRing && handOver.waited > 0 && !this.warnedWait) {
      this.warnedWait = true;
      diag.warn(
        `batchtel: the ${this.settings.signal} export worker fell ${Math.round(this.limits.maxBytes / 1048576)} MiB behind; the app's thread waits for it (${handOver.waited.toFixed(0)} ms this time, at most ${this.limits.maxWaitMs} ms a request; said once)`,
      );
    }
    if (placed) {
      this.worker!.postMessage({ type: 'placed', id, at: handOver.at, length: body.length, consumed: handOver.consumed, records } satisfies ToWorker);
      return;
    }
    // A buffer of its own is moved, not copied; a view into a larger one is copied first.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
    this.worker!.postMessage({ type: 'write', id, body: own, records } satisfies ToWorker, [own.buffer as ArrayBuffer]);
  }

  private send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private spawn(): void {
    clearTimeout(this.startTimer);
    this.startTimer = undefined;
    this.spawned = true;
    let worker: Worker;
    const handOver = new WorkerHandOver(this.limits.maxBytes, this.limits.maxWaitMs);
    try {
      worker = this.start(this.settings, handOver);
    } catch (error) {
      this.fallBack(error);
      return;
    }
    this.worker = worker;
    this.handOver = handOver;
    this.ready = false;
    this.state = { counts: emptyCounts(), pending: 0, inflight: 0, spoolBytes: this.state.spoolBytes };
    worker.on('message', (message: FromWorker) => this.receive(worker, message));
    worker.on('error', (error) => {
      if (this.worker === worker && !this.ready) this.startFailed = error;
    });
    worker.on('exit', () => this.exited(worker));
    worker.unref();
  }

  private receive(worker: Worker, message: FromWorker): void {
    if (worker !== this.worker) return;
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        this.state = message.state;
        const queued = this.startQueue;
        this.startQueue = [];
        this.startQueueBytes = 0;
        // Moved, not copied: they are in buffers of their own already, and the ring stays free for
        // what comes next (filled with them, it made the app's next requests wait for the new worker).
        for (const { body, records } of queued) this.post(body, records, false);
        for (const resolve of this.startWaiters.splice(0)) resolve();
        break;
      }
      case 'written':
        this.unacked.delete(message.id);
        this.state = message.state;
        break;
      case 'state':
        this.state = message.state;
        break;
      case 'flushed':
        this.state = message.state;
        this.flushes.get(message.id)?.resolve();
        this.flushes.delete(message.id);
        break;
      case 'closed':
        this.state = message.state;
        this.closing?.resolve();
        this.closing = undefined;
        break;
      case 'export':
        this.hooks.onExport?.(message.seconds, {
          ok: message.ok,
          retryable: false,
          status: message.status,
          retryAfterMs: undefined,
          body: undefined,
          reason: message.reason,
        });
        break;
      case 'announce':
        this.hooks.announce?.();
        break;
      case 'diag':
        diag[message.level](message.message);
        break;
    }
    this.updateRef();
  }

  /**
   * The worker ended. After its close answer that is expected (and not seen
   * here); while closing, what it wrote waits on disk for the next process,
   * as on this thread, and only what never reached its disk is lost.
   * Otherwise it died: its loss is counted and it is started again, or, if it
   * never started, delivery moves here.
   */
  private exited(worker: Worker): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (!this.ready) {
      if (this.closed) this.resolveWaiters();
      else this.fallBack(this.startFailed ?? new Error('the export worker exited while starting'));
      return;
    }
    if (this.closed) {
      let lost = 0;
      for (const records of this.unacked.values()) lost += records;
      this.unacked.clear();
      if (lost > 0) this.base.dropped[DELIVERY_ERROR_TYPE_VALUES.workerExited] = (this.base.dropped[DELIVERY_ERROR_TYPE_VALUES.workerExited] ?? 0) + lost;
      this.resolveWaiters();
      return;
    }
    // What it held: sent to it and not yet on its disk, plus what it had not delivered.
    let lost = this.state.pending;
    for (const records of this.unacked.values()) lost += records;
    this.unacked.clear();
    addCounts(this.base, this.state.counts);
    if (lost > 0) this.base.dropped[DELIVERY_ERROR_TYPE_VALUES.workerExited] = (this.base.dropped[DELIVERY_ERROR_TYPE_VALUES.workerExited] ?? 0) + lost;
    if (!this.warnedDeath) {
      this.warnedDeath = true;
      diag.warn(
        `batchtel: the ${this.settings.signal} export worker stopped; ${lost} records it held are counted lost (worker_exited) and a new worker takes over (its spool files are sent by the new one)`,
      );
    }
    this.state = { counts: emptyCounts(), pending: 0, inflight: 0, spoolBytes: this.state.spoolBytes };
    this.resolveWaiters();
    if (++this.restarts > MAX_RESTARTS) {
      this.fallBack(new Error(`the export worker stopped ${this.restarts} times`));
      return;
    }
    this.spawn();
  }

  /** Delivery on this thread from now on; what waited for the worker is written there. */
  private fallBack(error: unknown): void {
    this.worker = undefined;
    diag.warn(`batchtel: the ${this.settings.signal} export worker cannot run (${String(error)}); delivery continues on the app's thread`);
    this.fallback = createSpoolDelivery(this.settings, this.hooks);
    const queued = this.startQueue;
    this.startQueue = [];
    this.startQueueBytes = 0;
    for (const { body, records } of queued) this.fallback.write(body, records);
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    for (const waiter of this.flushes.values()) waiter.resolve();
    this.flushes.clear();
    this.closing?.resolve();
    this.closing = undefined;
    for (const resolve of this.startWaiters.splice(0)) resolve();
  }

  /**
   * The worker keeps the process alive only while it holds work the app's
   * thread would: requests in transit, in flight, or a flush or close awaited.
   */
  private updateRef(): void {
    const worker = this.worker;
    if (!worker) return;
    if (this.startQueue.length > 0 || this.startWaiters.length > 0 || this.unacked.size > 0 || this.flushes.size > 0 || this.closing || this.state.inflight > 0)
      worker.ref();
    else worker.unref();
  }
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });
