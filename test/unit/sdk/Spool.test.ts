import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag, type DiagLogger } from '@opentelemetry/api';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSpoolName, Spool } from '../../../src/sdk/delivery/Spool.js';

/** An OTLP logs request of `n` records, as JSON or protobuf. */
function request(n: number, encoding: 'json' | 'protobuf' = 'json'): Uint8Array {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  for (let i = 0; i < n; i++) provider.getLogger('t').emit({ body: `r${i}` });
  return (encoding === 'json' ? JsonLogsSerializer : ProtobufLogsSerializer).serializeRequest(memory.getFinishedLogRecords())!;
}

const mounts: string[] = [];
afterEach(() => {
  diag.disable();
  for (const dir of mounts.splice(0)) execFileSync('umount', [dir]);
});

function captureDiag(): string[] {
  const lines: string[] = [];
  const push = (message: string) => lines.push(message);
  diag.setLogger({ error: push, warn: push, info: push, debug: () => undefined, verbose: () => undefined } as DiagLogger, { suppressOverrideMessage: true });
  return lines;
}

/** A pid that is certainly gone: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const folder = () => mkdtempSync(join(tmpdir(), 'batchtel-spool-unit-'));
const name = (prefix: string, ms: number, pid: number, seq: number, records: number) =>
  `${prefix}-${String(ms).padStart(15, '0')}-${pid}-${String(seq).padStart(9, '0')}-${records}.json.otlp`;

describe('Spool', () => {
  it('adopts, oldest first, what dead processes left; leaves a live process its files; removes a dead writer’s half-written request', () => {
    const dir = folder();
    const dead = deadPid();
    // process.ppid: the test runner's parent, alive for as long as this test runs.
    const live = process.ppid;
    const a = request(2);
    const b = request(3);
    writeFileSync(join(dir, name('logs', 2000, dead, 1, 3)), b);
    writeFileSync(join(dir, name('logs', 1000, dead, 0, 2)), a);
    writeFileSync(join(dir, name('logs', 1500, live, 0, 9)), 'live');
    writeFileSync(join(dir, name('traces', 500, dead, 0, 4)), 'other signal');
    writeFileSync(join(dir, `.${name('logs', 3000, dead, 2, 5)}.tmp`), 'half');
    writeFileSync(join(dir, `.${name('logs', 3000, live, 1, 5)}.tmp`), 'being written');

    const spool = new Spool({ dir, prefix: 'logs', maxBytes: 1 << 20, encoding: 'json' });
    const adopted = spool.adopt();
    expect(adopted.map((f) => f.records)).toEqual([2, 3]);
    for (const file of adopted) expect(parseSpoolName(file.name)?.pid).toBe(process.pid);
    expect(adopted.map((f) => spool.read(f)?.toString())).toEqual([a, b].map((body) => Buffer.from(body).toString()));
    const left = readdirSync(dir);
    expect(left).toContain(name('logs', 1500, live, 0, 9));
    expect(left).toContain(name('traces', 500, dead, 0, 4));
    expect(left).toContain(`.${name('logs', 3000, live, 1, 5)}.tmp`);
    expect(left).not.toContain(`.${name('logs', 3000, dead, 2, 5)}.tmp`);
  });

  it('past its size limit evicts the oldest requests, never the one just written, and says which', () => {
    const dir = folder();
    const evicted: number[] = [];
    const spool = new Spool({ dir, prefix: 'traces', maxBytes: 250, encoding: 'protobuf', onEvict: (file) => evicted.push(file.records) });
    for (let i = 1; i <= 5; i++) spool.write(new Uint8Array(100), i);
    expect(evicted).toEqual([1, 2, 3]);
    expect(spool.names().map((n) => parseSpoolName(n)!.file.records)).toEqual([4, 5]);
    expect(spool.bytes()).toBe(200);
    // A request larger than the limit on its own is kept (it is the newest); the rest make room.
    spool.write(new Uint8Array(400), 6);
    expect(evicted).toEqual([1, 2, 3, 4, 5]);
    expect(spool.names().map((n) => parseSpoolName(n)!.file.records)).toEqual([6]);
  });

  it('a full disk: a write that does not fit leaves neither a final-named file nor a .tmp, and says so once (a 64 KiB tmpfs)', () => {
    const dir = folder();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    mounts.push(dir);
    const lines = captureDiag();
    const spool = new Spool({ dir, prefix: 'logs', maxBytes: 1 << 30, encoding: 'json' });
    expect(spool.write(new Uint8Array(40 * 1024), 1)).toBeDefined();
    // The next one fits only in part: before, writeSync's short count went unchecked and the stub was renamed into place.
    expect(spool.write(new Uint8Array(40 * 1024), 2)).toBeUndefined();
    expect(spool.write(new Uint8Array(40 * 1024), 3)).toBeUndefined();
    expect(readdirSync(dir)).toHaveLength(1);
    expect(spool.names().map((n) => statSync(join(dir, n)).size)).toEqual([40 * 1024]);
    expect(lines.filter((l) => l.includes('ENOSPC'))).toHaveLength(1);
  });

  it('an unusable folder (a regular file in its place) is no error: nothing is written or adopted, one warning', () => {
    const file = join(folder(), 'spool');
    writeFileSync(file, 'not a folder');
    const lines = captureDiag();
    const spool = new Spool({ dir: file, prefix: 'logs', maxBytes: 1 << 20, encoding: 'json' });
    expect(spool.adopt()).toEqual([]);
    expect(spool.write(request(1), 1)).toBeUndefined();
    expect(spool.names()).toEqual([]);
    expect(spool.bytes()).toBe(0);
    // The traces spool on the same folder does not say it again.
    expect(new Spool({ dir: file, prefix: 'traces', maxBytes: 1 << 20, encoding: 'json' }).write(request(1), 1)).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/spool/);
  });

  it('trusts nothing in the folder: counts come from the content; symlinks, directories and other users’ files are left alone; the folder is 0700', () => {
    const parent = folder();
    const dir = join(parent, 'spool');
    const dead = deadPid();
    new Spool({ dir, prefix: 'logs', maxBytes: 1 << 20, encoding: 'json' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    writeFileSync(join(dir, name('logs', 1000, dead, 0, 99999999999999999999 as never)), request(3));
    writeFileSync(join(dir, name('logs', 1001, dead, 1, 5)).replace('.json.otlp', '.pb.otlp'), request(4, 'protobuf'));
    writeFileSync(join(dir, name('logs', 1002, dead, 2, 7)), '{"resourceLogs": [{"scopeLogs": [{"logRecords": [{}]'); // cut short
    symlinkSync('/etc/passwd', join(dir, name('logs', 1003, dead, 3, 1)));
    mkdirSync(join(dir, name('logs', 1004, dead, 4, 8)));
    const foreign = join(dir, name('logs', 1005, dead, 5, 2));
    writeFileSync(foreign, request(2));
    chownSync(foreign, 65534, 65534);
    const spool = new Spool({ dir, prefix: 'logs', maxBytes: 1 << 20, encoding: 'json' });
    const adopted = spool.adopt();
    expect(adopted.map((f) => [f.records, f.encoding])).toEqual([
      [3, 'json'],
      [4, 'protobuf'],
    ]);
    const left = readdirSync(dir);
    // The cut-short request is gone; the rest not ours to touch stays as it was, not renamed.
    expect(left.some((n) => n.includes('-000000002-'))).toBe(false);
    expect(lstatSync(join(dir, name('logs', 1003, dead, 3, 1))).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, name('logs', 1004, dead, 4, 8))).isDirectory()).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    expect(spool.names()).toEqual(adopted.map((f) => f.name));
    expect(spool.bytes()).toBe(adopted.reduce((n, f) => n + statSync(join(dir, f.name)).size, 0));
  });
});
