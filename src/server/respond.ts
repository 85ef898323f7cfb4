import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import { HttpError } from './HttpError.js';

/** A 500 that tells the client only an id; the error itself goes to the diagnostic log under that id. */
export function internalError(error: unknown, req: IncomingMessage): HttpError {
  const id = randomBytes(6).toString('hex');
  const where = `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0]!.slice(0, 200)}`;
  diag.error(`batchtel/server: internal error ${id} on ${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return new HttpError(500, 'internal error', [{ path: 'server', message: `see the server's diagnostic log for error ${id}`, code: 'internal' }]);
}

export function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
