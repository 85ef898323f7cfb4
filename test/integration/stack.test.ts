import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { collectorBinary, composeCommand, pinnedRelease, Stack, StartupExit } from '../support/stack.js';

/** A listener that accepts and never answers; `release` drops its connections too. */
async function occupy(): Promise<{ server: Server; release: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const release = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return { server, release };
}

describe('the test stack', () => {
  const stack = new Stack();
  afterAll(async () => {
    await stack.stop();
  });

  it('a collector that cannot bind its port fails at once, with its output, not after the readiness deadline', async () => {
    const taken = await occupy();
    const port = (taken.server.address() as AddressInfo).port;
    const started = Date.now();
    try {
      const error = await stack
        .collector(
          'agent.yaml',
          { BATCHTEL_PROMETHEUS_OTLP_URL: 'http://127.0.0.1:1/api/v1/otlp/v1/metrics' },
          { binary: collectorBinary(), ports: { grpc: port, http: port, health: port, metrics: port } },
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(StartupExit);
      expect((error as StartupExit).message).toMatch(/exited during start-up/);
      expect((error as StartupExit).message).toMatch(/address already in use/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await taken.release();
    }
  });

  it('Prometheus runs the release compose pins, with compose’s receivers and feature flags', async () => {
    const prom = await stack.prometheus({ ruleFiles: [] });
    const build = (await (await fetch(`${prom.url}/api/v1/status/buildinfo`)).json()) as { data: { version: string } };
    expect(build.data.version).toBe(pinnedRelease('PROMETHEUS_IMAGE'));
    const flags = ((await (await fetch(`${prom.url}/api/v1/status/flags`)).json()) as { data: Record<string, string> }).data;
    for (const flag of composeCommand('prometheus')) {
      const [name, value] = flag.replace(/^--/, '').split('=');
      if (name === 'config.file' || name === 'storage.tsdb.path') continue;
      if (name === 'enable-feature') expect(flags[name]!.split(','), name).toContain(value);
      else expect(flags[name!], name).toBe(value ?? 'true');
    }
    expect(flags['web.enable-otlp-receiver']).toBe('true');
    expect(flags['enable-feature']).toContain('created-timestamp-zero-ingestion');
  });

  it('Alertmanager runs the release compose pins', async () => {
    const am = await stack.alertmanager('http://127.0.0.1:1/alerts');
    const status = (await (await fetch(`${am.url}/api/v2/status`)).json()) as { versionInfo: { version: string } };
    expect(status.versionInfo.version).toBe(pinnedRelease('ALERTMANAGER_IMAGE'));
  });
});
