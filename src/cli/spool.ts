/**
 * `batchtel spool`: what a spool folder holds, and replaying it to a
 * collector from outside the app (a sidecar, a cron job, after a crash when
 * the app will not run again). Replay takes over only the files of processes
 * that are gone, like the app's next start would.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { countRecords } from '../sdk/delivery/countRecords.js';
import { readOwnFile } from '../sdk/delivery/ownFile.js';
import { alive, parseSpoolName, Spool } from '../sdk/delivery/Spool.js';
import { SpoolSender } from '../sdk/delivery/SpoolSender.js';
import { readOtelEnv } from '../sdk/env.js';
import { keptByReason, lostByReason, replayTransport, type ReplayOptions } from './replayTarget.js';

const SIGNALS = ['traces', 'logs'] as const;

export function spoolStatus(dir: string, out: NodeJS.WritableStream): number {
  if (!existsSync(dir)) {
    out.write(`${dir}: no spool here\n`);
    return 0;
  }
  const now = Date.now();
  for (const signal of SIGNALS) {
    let files = 0;
    let records = 0;
    let bytes = 0;
    let oldest = Infinity;
    const owners = new Map<number, boolean>();
    for (const name of readdirSync(dir)) {
      const parsed = parseSpoolName(name);
      if (!parsed || parsed.prefix !== signal) continue;
      // Counted from the content, and only regular files of this user (what replay would send).
      const body = readOwnFile(join(dir, name));
      const n = body && countRecords(body, parsed.file.encoding, signal);
      if (!body || n === undefined) continue;
      files++;
      records += n;
      bytes += body.length;
      oldest = Math.min(oldest, parsed.ms);
      owners.set(parsed.pid, alive(parsed.pid));
    }
    const who = [...owners].map(([pid, running]) => `${pid}${running ? ' (running)' : ' (gone)'}`).join(', ');
    out.write(
      files === 0
        ? `${signal}: empty\n`
        : `${signal}: ${records} records in ${files} requests, ${(bytes / 1024).toFixed(1)} KiB, oldest ${Math.round((now - oldest) / 1000)} s ago; written by ${who}\n`,
    );
  }
  return 0;
}

/**
 * Sends what gone processes left, oldest first. What the endpoint refuses for
 * good stays in the spool unless `dropRejected`; 0 when all of it was
 * delivered, 1 when anything was lost, refused or still waits.
 */
export async function replaySpool(options: ReplayOptions): Promise<number> {
  const env = readOtelEnv();
  let remaining = 0;
  for (const signal of SIGNALS) {
    const spool = new Spool({ dir: options.dir, prefix: signal, maxBytes: Number.MAX_SAFE_INTEGER, encoding: 'protobuf' });
    const sender = new SpoolSender({
      signal,
      spool,
      transport: replayTransport(options, env, signal),
      rejected: () => undefined,
      concurrency: 2,
      keepRefused: !options.dropRejected,
    });
    await sender.flush();
    sender.close();
    const c = sender.counts;
    const dropped = lostByReason(Object.entries(c.dropped));
    const pending = sender.pending();
    const lostOrKept = [...Object.values(c.dropped), ...Object.values(c.refused)].reduce((a, b) => a + b, 0);
    remaining += pending + lostOrKept;
    options.out.write(
      `${signal}: ${c.inherited} records found, ${c.delivered} delivered, ${dropped} lost, ${pending} still waiting${pending > 0 ? ` (last error: ${Object.keys(c.retries).at(-1) ?? 'none'})` : ''}${keptByReason(Object.entries(c.refused))}\n`,
    );
  }
  return remaining === 0 ? 0 : 1;
}
