import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpoolName, Spool } from '../../../src/sdk/delivery/Spool.js';

/** A pid that is certainly gone: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const folder = () => mkdtempSync(join(tmpdir(), 'batchtel-spool-unit-'));
const name = (prefix: string, ms: number, pid: number, seq: number, records: number) => `${prefix}-${String(ms).padStart(15, '0')}-${pid}-${String(seq).padStart(9, '0')}-${records}.json.otlp`;

describe('Spool', () => {
  it('adopts, oldest first, what dead processes left; leaves a live process its files; removes a dead writer’s half-written request', () => {
    const dir = folder();
    const dead = deadPid();
    // process.ppid: the test runner's parent, alive for as long as this test runs.
    const live = process.ppid;
    writeFileSync(join(dir, name('logs', 2000, dead, 1, 3)), 'b');
    writeFileSync(join(dir, name('logs', 1000, dead, 0, 2)), 'a');
    writeFileSync(join(dir, name('logs', 1500, live, 0, 9)), 'live');
    writeFileSync(join(dir, name('traces', 500, dead, 0, 4)), 'other signal');
    writeFileSync(join(dir, `.${name('logs', 3000, dead, 2, 5)}.tmp`), 'half');
    writeFileSync(join(dir, `.${name('logs', 3000, live, 1, 5)}.tmp`), 'being written');

    const spool = new Spool({ dir, prefix: 'logs', maxBytes: 1 << 20, encoding: 'json' });
    const adopted = spool.adopt();
    expect(adopted.map((f) => f.records)).toEqual([2, 3]);
    for (const file of adopted) expect(parseSpoolName(file.name)?.pid).toBe(process.pid);
    expect(adopted.map((f) => spool.read(f)?.toString())).toEqual(['a', 'b']);
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
});
