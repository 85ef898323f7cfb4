import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunOptionsInput } from '../api/options.js';
import type { Clock } from '../core/clock.js';
import type { RunRegistry } from '../core/RunRegistry.js';
import type { AuthOptions } from './auth.js';
import type { Operation } from './defineOperation.js';
import type { EventHubOptions } from './EventHub.js';

/** Options of `createBatchHandler`: auth, the operations it may start, the registry, live events and limits. */
export interface BatchHandlerOptions {
  /**
   * `{ token }` (Bearer), optionally with a read-only `readToken` (each a string of at least 16
   * characters, checked here); or `{ disabled: true }` for loopback-only use. Required.
   */
  readonly auth: AuthOptions;
  /** Defaults to `defaultRegistry`, where `trackBatch` and `createBatchProgress` register runs. */
  readonly registry?: RunRegistry;
  /** Operations `POST /api/batch/create` may start; anything else is refused. */
  readonly operations?: readonly Operation<any>[];
  /** Token bucket on create: `capacity` at once, refilled at `refillPerSecond`. */
  readonly createRateLimit?: { readonly capacity: number; readonly refillPerSecond: number };
  /** Largest request body, bytes (413 above). */
  readonly maxBodyBytes?: number;
  /** Run options for runs started by create (e.g. `display: 'none'`, telemetry providers). */
  readonly runDefaults?: Omit<RunOptionsInput, 'name' | 'operation' | 'total' | 'registry'>;
  readonly events?: EventHubOptions;
  /** Finished runs older than this many days are forgotten automatically (checked hourly); the registry also keeps at most its `maxFinished`. */
  readonly retentionDays?: number;
  /** Lifetime of SSE tickets, ms (default 5 minutes). */
  readonly ticketTtlMs?: number;
  /**
   * Host names (without port) this handler answers for, besides the loopback names. With auth
   * disabled, `Host` is always checked (a DNS-rebound name gets 403) and these are the extra names
   * allowed; with a token, setting this turns the check on.
   */
  readonly allowedHosts?: readonly string[];
  /** Time for rate limits, tickets and created_at; injected by tests. */
  readonly clock?: Clock;
}

/** A Node `http` request listener; with `next` (express, connect) unknown paths go on to it. */
export interface BatchHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Ends live streams and stops timers. */
  close(): void;
  /** The live event stream's state, read-only. */
  readonly events: LiveEventsState;
}

/** What a handler's live event stream (SSE) holds now. */
export interface LiveEventsState {
  /** Clients connected to `/api/batch/events`. */
  readonly clientCount: number;
  /** Bytes held for replay to reconnecting clients (bounded). */
  readonly replayBytes: number;
}
