import type { z } from 'zod';
import type { Access } from './auth.js';
import { cleanupBody, createBody, eventsQuery, historyQuery, idParams } from './schemas.js';

/** The name of each route of the control API. */
export type RouteId = 'board' | 'openapi' | 'events' | 'ticket' | 'history' | 'stats' | 'create' | 'cleanup' | 'getBatch' | 'getResults' | 'getViz' | 'cancel';

/** One route of the control API, as the OpenAPI description lists it. */
export interface Route {
  readonly id: RouteId;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Express-style path; `:name` is a parameter. Literal routes are listed before parameter routes. */
  readonly path: string;
  readonly summary: string;
  readonly access: Access;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Media type of the success response. */
  readonly produces: 'application/json' | 'text/event-stream' | 'text/html';
  /** Success status. */
  readonly status: 200 | 202;
}

/** The router table: the handler dispatches from it and the OpenAPI description is generated from it. */
export const ROUTES: readonly Route[] = [
  {
    id: 'board',
    method: 'GET',
    path: '/',
    summary: 'The live board (HTML page; the token goes in the URL fragment, #token=...)',
    access: 'none',
    produces: 'text/html',
    status: 200,
  },
  {
    id: 'openapi',
    method: 'GET',
    path: '/api/batch/openapi.json',
    summary: 'This OpenAPI 3.1 description',
    access: 'none',
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'events',
    method: 'GET',
    path: '/api/batch/events',
    summary:
      'Live events (Server-Sent Events): batch:snapshot, batch:created, batch:progress, batch:completed, batch:failed, batch:cancelled, batch:removed; resumable with Last-Event-ID',
    access: 'read',
    query: eventsQuery,
    produces: 'text/event-stream',
    status: 200,
  },
  {
    id: 'ticket',
    method: 'POST',
    path: '/api/batch/events/ticket',
    summary: 'A short-lived read-only ticket for the events stream (`?ticket=`), since EventSource cannot send the Authorization header',
    access: 'read',
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'history',
    method: 'GET',
    path: '/api/batch/history',
    summary: 'Runs, newest first, filtered and paged',
    access: 'read',
    query: historyQuery,
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'stats',
    method: 'GET',
    path: '/api/batch/stats',
    summary: 'Counts by status and operation, and the completion rate',
    access: 'read',
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'create',
    method: 'POST',
    path: '/api/batch/create',
    summary: 'Start a run of a registered operation (rate-limited)',
    access: 'write',
    body: createBody,
    produces: 'application/json',
    status: 202,
  },
  {
    id: 'cleanup',
    method: 'DELETE',
    path: '/api/batch/cleanup',
    summary: 'Forget finished runs older than daysToKeep',
    access: 'write',
    body: cleanupBody,
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'getBatch',
    method: 'GET',
    path: '/api/batch/:id',
    summary: 'Status and progress, with ETA, interval and confidence',
    access: 'read',
    params: idParams,
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'getResults',
    method: 'GET',
    path: '/api/batch/:id/results',
    summary: 'Summary with performance metrics',
    access: 'read',
    params: idParams,
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'getViz',
    method: 'GET',
    path: '/api/batch/:id/viz',
    summary: 'Overview, error and quality distributions, p50/p95/p99 durations',
    access: 'read',
    params: idParams,
    produces: 'application/json',
    status: 200,
  },
  {
    id: 'cancel',
    method: 'POST',
    path: '/api/batch/:id/cancel',
    summary:
      "Request cancellation: aborts the run's AbortSignal and answers 202 with `cancelRequested: true` and the run as it is now. The run stops when its code next checks the signal (batch.process() does between chunks and passes it to each chunk); until then its status is unchanged, and it then finishes as cancelled. A loop that never checks its signal keeps running to its end, and still finishes as cancelled. 409 when the run has already finished.",
    access: 'write',
    params: idParams,
    produces: 'application/json',
    status: 202,
  },
];

export interface Match {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/** Finds the route for a method and path; `allowed` lists methods when only the method is wrong. */
export function matchRoute(method: string, pathname: string): { match?: Match; allowed: string[] } {
  const segments = pathname.split('/');
  const allowed: string[] = [];
  let literalPathMatched = false;
  for (const route of ROUTES) {
    const pattern = route.path.split('/');
    const hasParams = route.path.includes(':');
    // /api/batch/create with the wrong method is a 405, not a run called "create".
    if (hasParams && literalPathMatched) continue;
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i]!;
      const s = segments[i]!;
      if (p.startsWith(':')) {
        if (s.length === 0) ok = false;
        else {
          try {
            params[p.slice(1)] = decodeURIComponent(s);
          } catch {
            ok = false;
          }
        }
      } else if (p !== s) ok = false;
      if (!ok) break;
    }
    if (!ok) continue;
    if (!hasParams) literalPathMatched = true;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { match: { route, params }, allowed };
    allowed.push(route.method);
  }
  return { allowed };
}
