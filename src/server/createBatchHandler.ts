import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { trackBatch } from '../api/trackBatch.js';
import { systemClock } from '../core/clock.js';
import type { Run } from '../core/Run.js';
import { defaultRegistry, heldRuns } from '../core/RunRegistry.js';
import { VERSION } from '../version.js';
import { authorize, issueTicket, parseAuth } from './auth.js';
import { boardHtml } from './board.js';
import type { Operation } from './defineOperation.js';
import { EventHub } from './EventHub.js';
import { describeReceived, HttpError, validationError } from './HttpError.js';
import { buildOpenApi } from './openapi.js';
import { matchRoute, type RouteId } from './routes.js';
import { RUN_STATUSES, type CreateBody, type HistoryQuery } from './schemas.js';
import { checkHost, checkStateChange, hostName, isStateChanging } from './requestGuard.js';
import { TokenBucket } from './TokenBucket.js';
import { batchView, cardView, resultsView, vizView } from './views.js';
import type { BatchHandler, BatchHandlerOptions } from './BatchHandlerOptions.js';
import { readJson } from './readJson.js';
import { internalError, send } from './respond.js';

type Ctx = {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: Record<string, string>;
  readonly query: unknown;
  readonly body: unknown;
};
type Result = { status?: number; json?: unknown; handled?: true };

const DAY_MS = 86_400_000;
/** Items per chunk when a create request names none (the OpenAPI text says so). */
const DEFAULT_CHUNK_SIZE = 50;

/**
 * The control API and board as one request listener.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createBatchHandler } from 'batchtel/server';
 *
 * const handler = createBatchHandler({ auth: { token: process.env['BATCHTEL_TOKEN']! } });
 * createServer((req, res) => handler(req, res, () => res.writeHead(404).end())).listen(4480, '127.0.0.1');
 * ```
 */
export function createBatchHandler(options: BatchHandlerOptions): BatchHandler {
  const auth = parseAuth((options as { auth?: unknown } | undefined)?.auth);
  if (
    options.allowedHosts !== undefined &&
    !(Array.isArray(options.allowedHosts) && options.allowedHosts.every((h) => typeof h === 'string' && h.length > 0))
  ) {
    throw new TypeError(`batchtel/server: \`allowedHosts\` must be an array of host names, received ${describeReceived(options.allowedHosts)}`);
  }
  const allowedHosts = new Set((options.allowedHosts ?? []).map(hostName));
  const checkHosts = 'disabled' in auth || options.allowedHosts !== undefined;
  const registry = options.registry ?? defaultRegistry;
  const runs = heldRuns(registry);
  const clock = options.clock ?? systemClock;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const operations = new Map<string, Operation<any>>();
  for (const op of options.operations ?? []) {
    if (operations.has(op.name)) throw new TypeError(`batchtel/server: operation ${JSON.stringify(op.name)} defined twice`);
    operations.set(op.name, op);
  }
  const limit = options.createRateLimit ?? { capacity: 10, refillPerSecond: 1 };
  const bucket = new TokenBucket(limit.capacity, limit.refillPerSecond, clock);

  // created_at is not a run field: the server notes when it first saw each run.
  const createdAt = new WeakMap<Run, number>();
  const created = (run: Run): number | undefined => createdAt.get(run) ?? (run.startTimeMs > 0 ? run.startTimeMs : undefined);
  for (const run of runs.list()) createdAt.set(run, run.startTimeMs > 0 ? run.startTimeMs : clock.now());
  const unsubscribe = runs.subscribe((event) => {
    if (event.type === 'created') createdAt.set(event.run, clock.now());
  });
  const hub = new EventHub(registry, created, options.events);
  let retention: NodeJS.Timeout | undefined;
  if (options.retentionDays !== undefined) {
    const days = options.retentionDays;
    if (!(days >= 0)) throw new TypeError(`batchtel/server: \`retentionDays\` must be a number >= 0, got ${String(days)}`);
    const sweep = () => registry.cleanup(clock.now() - days * DAY_MS);
    sweep();
    retention = setInterval(sweep, 3_600_000);
    retention.unref();
  }
  let openapi: string | undefined;

  const findRun = (id: string): Run => {
    const run = runs.get(id);
    if (!run)
      throw new HttpError(404, `no run with id ${JSON.stringify(id)}`, [
        { path: 'params.id', message: 'not found (unknown, or removed by cleanup or history limits)', code: 'not_found' },
      ]);
    return run;
  };

  const handlers: Record<RouteId, (ctx: Ctx) => Result | Promise<Result>> = {
    board: ({ req, res, url }) => {
      // Mounted (express, connect) at /batchtel and opened without the slash: the page's relative
      // URLs would resolve outside the mount, so send the browser to the folder. The Location is
      // relative to the last segment, so it also holds behind a proxy that adds its own prefix.
      const original = (req as { originalUrl?: unknown }).originalUrl;
      if (typeof original === 'string') {
        const path = original.split('?')[0]!;
        if (path.length > 1 && !path.endsWith('/')) {
          res.writeHead(302, { location: `${path.slice(path.lastIndexOf('/') + 1)}/${url.search}`, 'cache-control': 'no-store', 'content-length': '0' }).end();
          return { handled: true };
        }
      }
      send(res, 200, boardHtml(), 'text/html; charset=utf-8', {
        'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
      return { handled: true };
    },
    openapi: ({ res }) => {
      openapi ??= JSON.stringify(buildOpenApi(VERSION));
      send(res, 200, openapi, 'application/json');
      return { handled: true };
    },
    events: ({ req, res, query }) => {
      hub.connect(req, res, (query as { lastEventId?: string }).lastEventId);
      return { handled: true };
    },
    ticket: () => {
      const issued = issueTicket(auth, clock.now(), options.ticketTtlMs ?? 5 * 60_000);
      return { json: { success: true, ticket: issued?.ticket ?? null, expiresAt: issued ? new Date(issued.expiresAt).toISOString() : null } };
    },
    getBatch: ({ params }) => {
      const run = findRun(params['id']!);
      return { json: { success: true, batch: batchView(run, created(run)) } };
    },
    getResults: ({ params }) => {
      const run = findRun(params['id']!);
      return { json: { success: true, batch: resultsView(run, created(run)) } };
    },
    getViz: ({ params }) => ({ json: { success: true, visualization: vizView(findRun(params['id']!)) } }),
    history: ({ query }) => {
      const q = query as HistoryQuery;
      const after = q.createdAfter ? Date.parse(q.createdAfter) : undefined;
      const before = q.createdBefore ? Date.parse(q.createdBefore) : undefined;
      const matching = runs
        .list()
        .filter((run) => {
          if (q.operation !== undefined && run.descriptor.operation !== q.operation) return false;
          if (q.status !== undefined && run.status !== q.status) return false;
          const at = created(run) ?? 0;
          if (after !== undefined && !(at > after)) return false;
          if (before !== undefined && !(at < before)) return false;
          return true;
        })
        .sort((a, b) => (created(b) ?? 0) - (created(a) ?? 0));
      const page = matching.slice(q.offset, q.offset + q.limit);
      return { json: { success: true, batches: page.map((run) => cardView(run, created(run))), count: page.length, total: matching.length, filter: q } };
    },
    stats: () => {
      const byStatus: Record<string, number> = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0]));
      const byOperation: Record<string, number> = {};
      const all = runs.list();
      for (const run of all) {
        byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
        byOperation[run.descriptor.operation] = (byOperation[run.descriptor.operation] ?? 0) + 1;
      }
      const finished = byStatus['completed']! + byStatus['failed']! + byStatus['cancelled']!;
      return {
        json: {
          success: true,
          stats: {
            total: all.length,
            byStatus,
            byOperation,
            completionRate: finished > 0 ? Math.round((byStatus['completed']! / finished) * 10_000) / 10_000 : 0,
            liveClients: hub.clientCount,
          },
        },
      };
    },
    cancel: ({ params }) => {
      const run = findRun(params['id']!);
      if (run.isFinished) {
        throw new HttpError(409, `run ${run.id} has already finished (${run.status})`, [
          { path: 'params.id', message: `status is ${run.status}`, code: 'already_finished' },
        ]);
      }
      // Cancel aborts the run's signal; the run stops when its code next looks at it (batch.process()
      // does between chunks, and passes it to each chunk). A loop that never looks keeps running, so
      // this is a request, answered 202, and the status changes only when the run finishes.
      run.cancel('cancelled through the control API');
      return {
        json: {
          success: true,
          cancelRequested: true,
          message: `cancel requested: run ${run.id} stops when its code next checks its AbortSignal (batch.process() does between chunks); its status stays ${run.status} until then`,
          batch: batchView(run, created(run)),
        },
      };
    },
    cleanup: ({ body }) => {
      const { daysToKeep } = body as { daysToKeep: number };
      const deleted = registry.cleanup(clock.now() - daysToKeep * DAY_MS);
      return { json: { success: true, deleted, daysToKeep } };
    },
    create: ({ body }) => {
      const b = body as CreateBody;
      const op = operations.get(b.operation);
      if (!op) {
        const known = `one of: ${[...operations.keys()].join(', ') || '(none registered)'}`;
        const received = describeReceived(b.operation);
        throw new HttpError(400, `unknown operation ${JSON.stringify(b.operation)}`, [
          { path: 'body.operation', message: `expected ${known}, received ${received}`, code: 'unknown_operation', expected: known, received },
        ]);
      }
      const parsed = op.input.safeParse(b.input ?? b.filters ?? {}, { reportInput: true });
      if (!parsed.success)
        throw validationError(parsed.error as z.ZodError, b.input === undefined && b.filters !== undefined ? 'body.filters' : 'body.input', op.input);
      const input = parsed.data;
      // Only a valid create spends a slot: a client fixing its request is not locked out by its own typos.
      const wait = bucket.take();
      if (wait > 0) {
        const seconds = Math.max(1, Math.ceil(wait / 1000));
        throw new HttpError(429, 'too many runs created; slow down', [{ path: 'request', message: `retry after ${seconds} s`, code: 'rate_limited' }], {
          'retry-after': String(seconds),
        });
      }
      const total = b.total_items ?? op.total?.(input);
      const batch = trackBatch({
        display: 'none',
        ...options.runDefaults,
        name: b.name ?? op.name,
        operation: op.name,
        // Spread, not `category: op.category`: an operation without one keeps runDefaults' category.
        ...(op.category ? { category: op.category } : {}),
        total,
        ...(b.description ? { metadata: { ...(options.runDefaults?.metadata ?? {}), description: b.description.slice(0, 256) } } : {}),
        registry,
      });
      const o = b.options;
      const chunkSize = o.chunkSize ?? o.batchSize ?? DEFAULT_CHUNK_SIZE;
      const runOptions = { chunkSize, batchSize: chunkSize, retryAttempts: o.retryAttempts, timeout: o.timeout, concurrency: o.concurrency };
      const context = {
        batch,
        options: runOptions,
        signal: batch.signal,
        process: <T>(items: Iterable<T> | AsyncIterable<T>, handler: Parameters<typeof batch.process<T>>[1]) =>
          batch.process(items, handler, {
            chunkSize,
            concurrency: o.concurrency,
            retry: { attempts: o.retryAttempts + 1 },
            timeoutMs: o.timeout,
          }),
      };
      const run = runs.get(batch.id)!;
      // Started after the response is queued: the caller gets the id at once.
      setImmediate(() => {
        Promise.resolve()
          .then(() => op.run(input, context))
          .then(
            () => {
              if (!run.isFinished) batch.finish();
            },
            (error: unknown) => {
              if (run.isFinished) return;
              if (run.status === 'pending') batch.start();
              batch.error(error);
              batch.finish({ result: run.signal.aborted ? 'cancellation' : 'failure', message: error instanceof Error ? error.message : String(error) });
            },
          );
      });
      return { status: 202, json: { success: true, batch: batchView(run, created(run)) } };
    },
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const { match, allowed } = matchRoute(method, url.pathname);
    if (!match) {
      if (allowed.length > 0) throw new HttpError(405, `method ${method} not allowed here`, [], { allow: [...new Set(allowed)].join(', ') });
      if (next) return next();
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      throw new HttpError(404, `no route for ${method} ${url.pathname}`, [{ path: 'url', message: 'see /api/batch/openapi.json', code: 'not_found' }]);
    }
    const { route } = match;
    if (checkHosts) checkHost(req, allowedHosts);
    authorize(req, url, auth, route.access, route.id === 'events', clock.now());
    if (isStateChanging(method)) checkStateChange(req, allowedHosts);
    let params: unknown = match.params;
    if (route.params) {
      const p = route.params.safeParse(match.params, { reportInput: true });
      if (!p.success) throw validationError(p.error, 'params', route.params);
      params = p.data;
    }
    let query: unknown = {};
    if (route.query) {
      const raw: Record<string, string> = {};
      for (const [key, value] of url.searchParams) raw[key] = value;
      const q = route.query.safeParse(raw, { reportInput: true });
      if (!q.success) throw validationError(q.error, 'query', route.query);
      query = q.data;
    }
    let body: unknown;
    if (route.body) {
      const raw = await readJson(req, maxBodyBytes);
      const b = route.body.safeParse(raw, { reportInput: true });
      if (!b.success) throw validationError(b.error, 'body', route.body);
      body = b.data;
    }
    const result = await handlers[route.id]({ req, res, url, params: params as Record<string, string>, query, body });
    if (result.handled) return;
    send(res, result.status ?? route.status, JSON.stringify(result.json), 'application/json');
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    dispatch(req, res, next).catch((error: unknown) => {
      const failure = error instanceof HttpError ? error : internalError(error, req);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const extra: Record<string, string> = { ...failure.headers };
      if (failure.status === 413) extra['connection'] = 'close';
      send(res, failure.status, JSON.stringify(failure.body()), 'application/json', extra);
    });
  }) as BatchHandler;
  handler.close = () => {
    if (retention) clearInterval(retention);
    unsubscribe();
    hub.close();
  };
  Object.defineProperty(handler, 'events', { value: hub });
  return handler;
}
