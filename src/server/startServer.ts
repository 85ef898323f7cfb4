import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopback, type AuthOptions } from './auth.js';
import { createBatchHandler } from './createBatchHandler.js';
import type { BatchHandler, BatchHandlerOptions } from './BatchHandlerOptions.js';

/** Options of `startServer`: those of `createBatchHandler`, plus where to listen. */
export interface StartServerOptions extends Omit<BatchHandlerOptions, 'auth'> {
  /** 0 picks a free port. Default 0. */
  readonly port?: number;
  /** Default 127.0.0.1. Anything but loopback needs token auth. */
  readonly host?: string;
  /** Default: a random token, returned as `token`. */
  readonly auth?: AuthOptions;
}

/** What `startServer` resolves with. */
export interface RunningServer {
  readonly server: Server;
  readonly handler: BatchHandler;
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** The bearer token, when token auth is on. */
  readonly token: string | undefined;
  /** The board, with the token in the URL fragment (never sent to the server or its logs). */
  readonly boardUrl: string;
  /** Stops accepting, ends live streams and closes open connections. */
  close(): Promise<void>;
}

/**
 * Starts the control API and board stand-alone, on 127.0.0.1 unless told otherwise.
 *
 * @example
 * ```ts
 * import { startServer } from 'batchtel/server';
 *
 * const server = await startServer();
 * console.log(`board: ${server.boardUrl}`);
 * await server.close();
 * ```
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const auth: AuthOptions = options.auth ?? { token: randomBytes(24).toString('base64url') };
  if ('disabled' in auth && !(isLoopback(host) || host === 'localhost')) {
    throw new TypeError(`batchtel/server: auth may only be disabled on a loopback host, not ${JSON.stringify(host)}`);
  }
  // With auth disabled, Host is checked: the bound name is answered along with the loopback names.
  const allowedHosts = 'disabled' in auth ? [...(options.allowedHosts ?? []), host] : options.allowedHosts;
  const handler = createBatchHandler({ ...options, auth, ...(allowedHosts ? { allowedHosts } : {}) });
  const server = createServer(handler);
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const token = 'token' in auth ? auth.token : undefined;
  return {
    server,
    handler,
    host,
    port,
    url,
    token,
    boardUrl: token ? `${url}/#token=${encodeURIComponent(token)}` : `${url}/`,
    close: () =>
      new Promise<void>((resolve) => {
        handler.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
