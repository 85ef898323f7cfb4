import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledFixture } from '../support/bundledFixture.js';
import { OtlpSink } from '../support/otlpSink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
/** The command bundled from src/cli/batchtel.ts as the package build bundles it: each run loads one file. */
const BATCHTEL = await bundledFixture('src/cli/batchtel.ts');
const cli = (...args: string[]) =>
  run(process.execPath, [BATCHTEL, ...args], {
    cwd: ROOT,
    env: { ...process.env, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20spool-test' },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );

const sinks: OtlpSink[] = [];
afterEach(async () => Promise.all(sinks.splice(0).map((s) => s.stop())));

function records(n: number, body = (i: number) => `left ${i}`) {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  for (let i = 0; i < n; i++) provider.getLogger('t').emit({ body: body(i) });
  return memory.getFinishedLogRecords();
}

describe('batchtel spool', () => {
  it('status shows what a crashed process left; replay delivers it with the configured headers and empties the spool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-cli-spool-'));
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    const ms = String(Date.now() - 60_000).padStart(15, '0');
    writeFileSync(join(dir, `logs-${ms}-${dead.pid}-000000000-4.json.otlp`), JsonLogsSerializer.serializeRequest(records(4))!);
    writeFileSync(join(dir, `logs-${ms}-${dead.pid}-000000001-3.json.otlp`), JsonLogsSerializer.serializeRequest(records(3))!);

    const status = await cli('spool', 'status', '--dir', dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('traces: empty');
    expect(status.stdout).toMatch(new RegExp(`logs: 7 records in 2 requests, [\\d.]+ KiB, oldest 6\\d s ago; written by ${dead.pid} \\(gone\\)`));

    // Endpoint down: nothing lost, exit 1, the files stay.
    const down = await cli('spool', 'replay', '--dir', dir, '--endpoint', 'http://127.0.0.1:1', '--timeout', '2000');
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('logs: 7 records found, 0 delivered, 0 lost, 7 still waiting (last error: ECONNREFUSED)');
    expect(readdirSync(dir).filter((f) => f.endsWith('.otlp'))).toHaveLength(2);

    const s = new OtlpSink();
    sinks.push(s);
    let authorization: string | undefined;
    s.respondWith = (request) => {
      authorization = request.headers.authorization;
      return undefined;
    };
    const replay = await cli('spool', 'replay', '--dir', dir, '--endpoint', await s.start());
    expect(replay.stdout).toContain('logs: 7 records found, 7 delivered, 0 lost, 0 still waiting');
    expect(replay.code).toBe(0);
    expect(
      s
        .logRecords()
        .map((r) => r.body?.stringValue)
        .sort(),
    ).toEqual(['left 0', 'left 0', 'left 1', 'left 1', 'left 2', 'left 2', 'left 3']);
    expect(authorization).toBe('Bearer spool-test');
    expect((await cli('spool', 'status', '--dir', dir)).stdout).toContain('logs: empty');
  }, 60_000);

  it('a wrong argument is a usage error naming it', async () => {
    const result = await cli('spool', 'replay', '--endpoint', 'not a url');
    expect(result.code).toBe(2);
  });
});

/** A dead writer's spool file name; `claimed` is the record count its name says (not trusted). */
async function deadName(seq: number, claimed: string | number): Promise<string> {
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => dead.on('exit', resolve));
  return `logs-${String(Date.now() - 60_000).padStart(15, '0')}-${dead.pid}-${String(seq).padStart(9, '0')}-${claimed}.json.otlp`;
}

describe('batchtel spool replay, what it keeps and what it trusts', () => {
  it('an endpoint answering 500: the requests stay in the spool and the exit code is 1; --drop-rejected drops them, counted, still exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-cli-spool-500-'));
    writeFileSync(join(dir, await deadName(0, 4)), JsonLogsSerializer.serializeRequest(records(4))!);
    writeFileSync(join(dir, await deadName(1, 3)), JsonLogsSerializer.serializeRequest(records(3))!);
    const s = new OtlpSink();
    sinks.push(s);
    s.respondWith = () => ({ status: 500 });
    const endpoint = await s.start();
    const kept = await cli('spool', 'replay', '--dir', dir, '--endpoint', endpoint, '--timeout', '2000');
    expect(kept.stdout).toContain('logs: 7 records found, 0 delivered, 0 lost, 0 still waiting, 7 refused (500) and kept');
    expect(kept.code).toBe(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.otlp'))).toHaveLength(2);
    const dropped = await cli('spool', 'replay', '--dir', dir, '--endpoint', endpoint, '--timeout', '2000', '--drop-rejected');
    expect(dropped.stdout).toContain('logs: 7 records found, 0 delivered, 7 (500) lost, 0 still waiting');
    expect(dropped.code).toBe(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.otlp'))).toHaveLength(0);
  }, 60_000);

  it('an endpoint that answers 200 and then drips a byte every 500 ms: --timeout 2000 ends the replay, the request is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-cli-spool-drip-'));
    writeFileSync(join(dir, await deadName(0, 2)), JsonLogsSerializer.serializeRequest(records(2))!);
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => response.write(' '), 500);
      response.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const result = await cli(
        'spool',
        'replay',
        '--dir',
        dir,
        '--endpoint',
        `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        '--timeout',
        '2000',
      );
      const took = Date.now() - started;
      expect(result.stdout).toContain('logs: 2 records found, 0 delivered, 0 lost, 2 still waiting (last error: timeout)');
      expect(result.code).toBe(1);
      // tsx start-up included; before the fix it never ended.
      expect(took).toBeLessThan(20_000);
      expect(readdirSync(dir).filter((f) => f.endsWith('.otlp'))).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 60_000);

  it('counts come from the content, not the name; a planted symlink is never read or sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-cli-spool-trust-'));
    writeFileSync(join(dir, await deadName(0, '99999999999999999999')), JsonLogsSerializer.serializeRequest(records(3))!);
    symlinkSync('/etc/passwd', join(dir, await deadName(1, 1)));
    const status = await cli('spool', 'status', '--dir', dir);
    expect(status.stdout).toMatch(/logs: 3 records in 1 requests/);
    const s = new OtlpSink();
    sinks.push(s);
    const replay = await cli('spool', 'replay', '--dir', dir, '--endpoint', await s.start());
    expect(replay.stdout).toContain('logs: 3 records found, 3 delivered, 0 lost, 0 still waiting');
    expect(replay.code).toBe(0);
    expect(s.requests).toBe(1);
    expect(s.allText()).not.toContain('root:');
  }, 60_000);
});

describe('batchtel local', () => {
  it('an endpoint answering 500: the lines stay and the exit code is 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-cli-local-500-'));
    writeFileSync(join(dir, 'logs.jsonl'), `${Buffer.from(JsonLogsSerializer.serializeRequest(records(2))!).toString('utf8')}\n`);
    const s = new OtlpSink();
    sinks.push(s);
    s.respondWith = () => ({ status: 500 });
    const result = await cli('local', 'replay', '--dir', dir, '--endpoint', await s.start(), '--timeout', '2000');
    expect(result.stdout).toContain('logs: 1 requests found, 0 delivered, 0 lost, 0 still waiting, 1 refused (500) and kept');
    expect(result.code).toBe(1);
    expect((await cli('local', 'status', '--dir', dir)).stdout).toMatch(/logs: 1 requests/);
  }, 60_000);

  it('status counts the lines written while no collector listened; replay sends them oldest first, keeps what the endpoint did not take and removes what it did', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-cli-local-'));
    const line = (n: number, from: number) => Buffer.from(JsonLogsSerializer.serializeRequest(records(n, (i) => `local ${from + i}`))!).toString('utf8');
    // A replay cut off earlier (its process is gone) left two requests; the live file holds two more.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(join(dir, `logs.jsonl.${dead.pid}.replaying`), `${line(2, 0)}\n${line(3, 2)}\n`);
    writeFileSync(join(dir, 'logs.jsonl'), `${line(1, 5)}\n${line(4, 6)}\n`);

    const status = await cli('local', 'status', '--dir', dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('traces: empty');
    expect(status.stdout).toMatch(/logs: 4 requests, [\d.]+ KiB/);

    // Endpoint down: exit 1, nothing lost, everything kept for the next try.
    const down = await cli('local', 'replay', '--dir', dir, '--endpoint', 'http://127.0.0.1:1', '--timeout', '2000');
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('logs: 4 requests found, 0 delivered, 0 lost, 4 still waiting (last error: ECONNREFUSED)');
    expect((await cli('local', 'status', '--dir', dir)).stdout).toMatch(/logs: 4 requests/);

    // The endpoint takes the first request, refuses the second for good (400), then goes away (503 from then on).
    const s = new OtlpSink();
    sinks.push(s);
    let calls = 0;
    s.respondWith = () => {
      calls++;
      if (calls === 2) return { status: 400 };
      if (calls >= 3) return { status: 503 };
      return undefined;
    };
    const endpoint = await s.start();
    const partly = await cli('local', 'replay', '--dir', dir, '--endpoint', endpoint, '--timeout', '2000', '--drop-rejected');
    expect(partly.code).toBe(1);
    expect(partly.stdout).toContain('logs: 4 requests found, 1 delivered, 1 (400) lost, 2 still waiting (last error: 503)');
    expect(s.logRecords().map((r) => r.body?.stringValue)).toEqual(['local 0', 'local 1']);

    // Back for good: the rest arrives in order, the folder is empty.
    s.respondWith = undefined;
    const rest = await cli('local', 'replay', '--dir', dir, '--endpoint', endpoint);
    expect(rest.code).toBe(0);
    expect(rest.stdout).toContain('logs: 2 requests found, 2 delivered, 0 lost, 0 still waiting');
    expect(s.logRecords().map((r) => r.body?.stringValue)).toEqual(['local 0', 'local 1', 'local 5', 'local 6', 'local 7', 'local 8', 'local 9']);
    expect(readdirSync(dir)).toEqual([]);
    expect((await cli('local', 'status', '--dir', dir)).stdout).toContain('logs: empty');
  }, 60_000);
});
