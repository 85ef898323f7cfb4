import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SDK_PEERS } from '../../../src/cli/sdkPeers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
};

/** Runs the CLI from source; resolves with its exit code and output, never rejects. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/batchtel.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the batchtel command', () => {
  it('--version, -v and version print the package version', async () => {
    const flags = ['--version', '-v', 'version'];
    // One process per flag, side by side.
    const runs = await Promise.all(flags.map((flag) => cli([flag])));
    for (const [i, { code, stdout }] of runs.entries()) {
      expect({ flag: flags[i], code }).toEqual({ flag: flags[i], code: 0 });
      expect(stdout.trim()).toBe(pkg.version);
    }
  }, 60_000);

  it('<command> --help prints that command’s help and exits 0', async () => {
    const [demo, local] = await Promise.all([cli(['demo', '--help']), cli(['local', '-h'])]);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('--duration <s>');
    expect(demo.stdout).not.toContain('spool replay');
    expect(local.code).toBe(0);
    expect(local.stdout).toContain('local replay');
  }, 60_000);

  it('local replay names the endpoint it tried and where it came from when nothing listens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-cli-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'otlp'));
    writeFileSync(join(dir, 'otlp', 'traces.jsonl'), '{"resourceSpans":[]}\n');
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const { code, stdout, stderr } = await cli(['local', 'replay', '--dir', join(dir, 'otlp'), '--timeout', '2000'], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(code).toBe(1);
    expect(stdout).toContain(`to ${endpoint} (OTEL_EXPORTER_OTLP_ENDPOINT)`);
    expect(stderr).toContain(`not everything was delivered to ${endpoint} (see above): is a collector listening there?`);
  }, 60_000);

  it('the install hint for the SDK peers matches package.json', () => {
    // bullmq and ioredis are batchtel/bullmq's peers, not the SDK's.
    const optional = Object.keys(pkg.peerDependenciesMeta).filter((name) => pkg.peerDependenciesMeta[name]!.optional && !['bullmq', 'ioredis'].includes(name));
    expect([...SDK_PEERS]).toEqual(optional.map((name) => `${name}@${pkg.peerDependencies[name]}`));
  });
});
