import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Run } from '../core/Run.js';
import { heldRuns, type HeldRunEvent, type HeldRuns, type RunRegistry } from '../core/RunRegistry.js';
import { cardView } from './views.js';

/** The live event types (a snapshot on connect, the run lifecycle, and removal on cleanup). */
export const LIVE_EVENT_TYPES = [
  'batch:snapshot',
  'batch:created',
  'batch:progress',
  'batch:completed',
  'batch:failed',
  'batch:cancelled',
  'batch:removed',
] as const;
/** The Server-Sent Event types the board and API clients receive. */
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

interface LiveEvent {
  readonly id: number;
  /** The whole SSE frame, serialised once for every client. */
  readonly frame: string;
  readonly bytes: number;
}

/** The `events` option of `createBatchHandler`: progress throttling and the replay buffer. */
export interface EventHubOptions {
  /** Minimum time between progress events of one run. */
  readonly progressIntervalMs?: number;
  /** A running run with no change still gets a progress event this often (ETA and items/s move). */
  readonly keepAliveProgressMs?: number;
  /** Events kept for `Last-Event-ID` replay (default 1000). */
  readonly replaySize?: number;
  /** Bytes of events kept for replay (default 4 MiB): the oldest go first when either bound is reached. */
  readonly replayMaxBytes?: number;
  /** Comment line sent to idle connections so proxies keep them open. */
  readonly heartbeatMs?: number;
  /** A client that lets this much pile up unread is dropped (it reconnects with Last-Event-ID). */
  readonly maxBufferedBytes?: number;
  readonly maxClients?: number;
}

/**
 * Server-Sent Events over the run registry. Lifecycle events are sent as they
 * happen; progress is sampled on a timer (never from the batch loop) at most
 * once per interval per run. Each event is serialised once and written to
 * every client; a bounded ring of recent events serves `Last-Event-ID`.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  /** Replay ring: `ringSize` events from `ringHead` (the oldest), `ringBytes` of frames in all. */
  private readonly ring: (LiveEvent | undefined)[];
  private ringHead = 0;
  private ringSize = 0;
  private ringBytes = 0;
  private readonly replayMaxBytes: number;
  private pending = '';
  private flushScheduled = false;
  private lastId = 0;
  private readonly lastProgress = new Map<string, { fingerprint: string; atMs: number }>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly progressIntervalMs: number;
  private readonly keepAliveProgressMs: number;
  private readonly maxBufferedBytes: number;
  private readonly maxClients: number;

  private readonly runs: HeldRuns;

  constructor(
    registry: RunRegistry,
    private readonly createdAt: (run: Run) => number | undefined,
    options: EventHubOptions = {},
  ) {
    this.progressIntervalMs = options.progressIntervalMs ?? 500;
    this.keepAliveProgressMs = options.keepAliveProgressMs ?? 2000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
    this.maxClients = options.maxClients ?? 1000;
    this.ring = new Array<LiveEvent | undefined>(Math.max(1, options.replaySize ?? 1000));
    this.replayMaxBytes = options.replayMaxBytes ?? 4 * 1024 * 1024;
    this.runs = heldRuns(registry);
    this.unsubscribe = this.runs.subscribe((event) => this.onRegistry(event));
    this.timer = setInterval(() => this.sampleProgress(), this.progressIntervalMs);
    this.timer.unref();
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Bytes of events held for replay (at most `replayMaxBytes`). */
  get replayBytes(): number {
    return this.ringBytes;
  }

  /** Opens an event stream; replays from `Last-Event-ID` when the ring still has it, else sends a snapshot. */
  connect(req: IncomingMessage, res: ServerResponse, lastEventIdParam?: string | null): void {
    if (req.method === 'HEAD') {
      // The headers a GET would get, and no stream: a HEAD is never a live client.
      res.writeHead(200, SSE_HEADERS).end();
      return;
    }
    if (this.clients.size >= this.maxClients) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(JSON.stringify({ success: false, error: 'too many live clients', details: { errors: [] } }));
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    res.socket?.setNoDelay(true);
    const header = req.headers['last-event-id'];
    const raw = (Array.isArray(header) ? header[0] : header) ?? lastEventIdParam ?? undefined;
    const lastEventId = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
    this.flush(); // queued events go to the clients already here; this one starts after them
    let out = 'retry: 2000\n\n';
    const replay = lastEventId === undefined ? undefined : this.since(lastEventId);
    if (replay) for (const event of replay) out += event.frame;
    else out += frame(this.lastId, 'batch:snapshot', { runs: this.runs.list().map((run) => cardView(run, this.createdAt(run))) });
    res.write(out);
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.once('close', drop);
    res.once('close', drop);
  }

  /** Ends every stream and stops the timers. */
  close(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  /** Samples progress now (the timer does this on its own). */
  sampleProgress(nowMs?: number): void {
    for (const run of this.runs.active()) {
      const now = nowMs ?? run.clock.now();
      const s = run.stats;
      const fingerprint = `${run.completed}|${s.errors}|${s.rateLimitHits}|${s.retries}`;
      const last = this.lastProgress.get(run.id);
      if (last && last.fingerprint === fingerprint && now - last.atMs < this.keepAliveProgressMs) continue;
      if (last && now - last.atMs < this.progressIntervalMs) continue;
      this.lastProgress.set(run.id, { fingerprint, atMs: now });
      this.publish('batch:progress', cardView(run, this.createdAt(run), now));
    }
  }

  private onRegistry(event: HeldRunEvent): void {
    const run = event.run;
    if (event.type === 'created') {
      this.publish('batch:created', cardView(run, this.createdAt(run)));
    } else if (event.type === 'finished') {
      this.lastProgress.delete(run.id);
      const status = run.status;
      const type: LiveEventType = status === 'cancelled' ? 'batch:cancelled' : status === 'failed' ? 'batch:failed' : 'batch:completed';
      this.publish(type, cardView(run, this.createdAt(run)));
    } else {
      this.lastProgress.delete(run.id);
      this.publish('batch:removed', { id: run.id });
    }
  }

  private publish(type: LiveEventType, data: unknown): void {
    const id = ++this.lastId;
    // `at`: when the server published it (epoch ms), for clients that show staleness or measure latency.
    const text = frame(id, type, { ...(data as object), at: Date.now() });
    const event: LiveEvent = { id, frame: text, bytes: Buffer.byteLength(text) };
    this.remember(event);
    // Events of one tick (a sampling pass, a burst of runs) go out as one write per client.
    this.pending += event.frame;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private remember(event: LiveEvent): void {
    const cap = this.ring.length;
    // An event larger than the whole budget empties the ring and is not kept, so every
    // client from before it gets a snapshot rather than a replay with a hole.
    while (this.ringSize > 0 && (this.ringSize === cap || this.ringBytes + event.bytes > this.replayMaxBytes)) {
      this.ringBytes -= this.ring[this.ringHead]!.bytes;
      this.ring[this.ringHead] = undefined;
      this.ringHead = (this.ringHead + 1) % cap;
      this.ringSize--;
    }
    if (event.bytes > this.replayMaxBytes) return;
    this.ring[(this.ringHead + this.ringSize) % cap] = event;
    this.ringSize++;
    this.ringBytes += event.bytes;
  }

  private flush(): void {
    this.flushScheduled = false;
    const text = this.pending;
    this.pending = '';
    if (text) this.broadcast(text);
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > this.maxBufferedBytes) {
        // A reader this far behind reconnects and resumes from its Last-Event-ID.
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  /** Events after `id`, or undefined when the ring no longer holds them all. */
  private since(id: number): LiveEvent[] | undefined {
    if (id > this.lastId) return undefined;
    const events: LiveEvent[] = [];
    for (let i = 0; i < this.ringSize; i++) {
      const event = this.ring[(this.ringHead + i) % this.ring.length]!;
      if (event.id > id) events.push(event);
    }
    if (id < this.lastId && (events.length === 0 || events[0]!.id !== id + 1)) return undefined;
    return events;
  }
}

function frame(id: number, type: string, data: unknown): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
