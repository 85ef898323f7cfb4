import { afterEach, beforeEach } from 'vitest';
import { z } from 'zod';
import type { Run } from '../../../src/core/Run.js';
import { heldRuns, RunRegistry } from '../../../src/core/RunRegistry.js';
import { ManualClock } from '../../../src/core/clock.js';
import { defineOperation, startServer, type RunningServer, type StartServerOptions } from '../../../src/server/index.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const READ_TOKEN = 'read-token-0123456789abcdef';

/** Resolves when `check` returns a value; polls with a deadline, never sleeps for a state. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An operation whose chunks wait until the test opens the gate (or the run is cancelled). */
export function gatedOperation() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const operation = defineOperation(
    'gated',
    z.strictObject({ items: z.number().int().min(1).max(10_000) }),
    async (input, ctx) => {
      await ctx.process(
        Array.from({ length: input.items }, (_, i) => i),
        async (_chunk, { signal, index }) => {
          if (index === 0) return; // the first chunk completes at once, so progress is visible
          await Promise.race([gate, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
        },
      );
    },
    { total: (input) => input.items, category: 'test' },
  );
  return { operation, open: () => open() };
}

/** A registry whose get() and list() give the runs themselves, so a test can drive a run the server created. */
class InspectableRegistry extends RunRegistry {
  override get(id: string): Run | undefined {
    return heldRuns(this).get(id);
  }
  override list(): Run[] {
    return heldRuns(this).list();
  }
  override active(): Run[] {
    return heldRuns(this).active();
  }
}

export interface TestServer extends RunningServer {
  readonly registry: InspectableRegistry;
  readonly clock: ManualClock;
  readonly open: () => void;
  request(path: string, init?: RequestInit & { token?: string | null }): Promise<{ status: number; headers: Headers; body: any }>;
}

export async function startTestServer(options: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const registry = new InspectableRegistry();
  const clock = new ManualClock(Date.now());
  const gated = gatedOperation();
  const server = await startServer({
    registry,
    clock,
    auth: { token: TOKEN, readToken: READ_TOKEN },
    operations: [gated.operation],
    runDefaults: { display: 'none' },
    ...options,
  });
  return {
    ...server,
    registry,
    clock,
    open: gated.open,
    async request(path, init = {}) {
      const { token = TOKEN, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      // As the board and API clients do: state-changing requests are JSON, with or without a body.
      const method = (rest.method ?? 'GET').toUpperCase();
      if ((rest.body !== undefined || (method !== 'GET' && method !== 'HEAD')) && !headers.has('content-type')) headers.set('content-type', 'application/json');
      const res = await fetch(server.url + path, { ...rest, headers });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (the board)
      }
      return { status: res.status, headers: res.headers, body };
    },
  };
}

/**
 * A fresh test server for each test of the file, handed to `use` before the test;
 * after it, the one `current` returns (a test may have replaced it) is closed, its
 * gate opened first so no run is left waiting.
 */
export function serverPerTest(use: (server: TestServer) => void, current: () => TestServer): void {
  beforeEach(async () => use(await startTestServer()));
  afterEach(async () => {
    const server = current();
    server.open();
    await server.close();
  });
}
