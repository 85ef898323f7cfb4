/**
 * `batchtel local`: the OTLP JSON lines the local default wrote while no
 * collector listened (`.batchtel/otlp/<signal>.jsonl`, one export request a
 * line), shown and sent to a collector once one runs. A collector with the
 * `otlpjsonfile` receiver can read the folder itself; this serves the ones
 * without it (batchtel's own distribution among them).
 */
import { existsSync, lstatSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OtlpHttpTransport } from '../sdk/delivery/OtlpHttpTransport.js';
import { readOwnFile } from '../sdk/delivery/ownFile.js';
import { alive } from '../sdk/delivery/Spool.js';
import { readOtelEnv } from '../sdk/env.js';
import { keptByReason, lostByReason, replayTransport, type ReplayOptions } from './replayTarget.js';

const SIGNALS = ['traces', 'metrics', 'logs'] as const;
type Signal = (typeof SIGNALS)[number];

/** A file being replayed: `<signal>.jsonl.<pid>.replaying`, left behind if that replay was cut off. */
const REPLAYING = /^(traces|metrics|logs)\.jsonl\.(\d+)\.replaying$/;

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/** A file's text, only if it is a regular file of this user (never through a symlink). */
const readText = (path: string): string => readOwnFile(path)?.toString('utf8') ?? '';

interface Tally {
  found: number;
  delivered: number;
  lost: Map<string, number>;
  refused: Map<string, number>;
  waiting: number;
  lastError: string;
}

export function localStatus(dir: string, out: NodeJS.WritableStream): number {
  if (!existsSync(dir)) {
    out.write(`${dir}: no local telemetry here\n`);
    return 0;
  }
  for (const signal of SIGNALS) {
    const files = readdirSync(dir).filter((name) => isSignalFile(name, signal));
    const texts = files.map((name) => readText(join(dir, name)));
    const requests = texts.reduce((n, text) => n + lines(text).length, 0);
    const bytes = texts.reduce((n, text) => n + Buffer.byteLength(text), 0);
    out.write(requests === 0 ? `${signal}: empty\n` : `${signal}: ${requests} requests, ${(bytes / 1024).toFixed(1)} KiB\n`);
  }
  return 0;
}

/**
 * Sends every line, oldest first, and removes what was delivered; what the
 * endpoint refuses for good is kept unless `dropRejected`. 0 when all of it
 * was delivered, 1 when anything was lost, refused or waits for the next try.
 * The live file is renamed before it is read, so an app still writing starts
 * a new one.
 */
export async function replayLocal(options: ReplayOptions): Promise<number> {
  if (!existsSync(options.dir)) {
    options.out.write(`${options.dir}: no local telemetry here\n`);
    return 0;
  }
  const env = readOtelEnv();
  let waiting = 0;
  for (const signal of SIGNALS) {
    const transport = replayTransport(options, env, signal);
    const result: Tally = { found: 0, delivered: 0, lost: new Map(), refused: new Map(), waiting: 0, lastError: '' };
    for (const file of claim(options.dir, signal)) {
      if (result.waiting > 0) {
        // The endpoint is failing: the rest is not tried, only counted.
        const n = lines(readText(file)).length;
        result.found += n;
        result.waiting += n;
        continue;
      }
      await replayFile(file, transport, result, options.dropRejected);
    }
    waiting += result.waiting + [...result.lost.values(), ...result.refused.values()].reduce((a, b) => a + b, 0);
    const lost = lostByReason(result.lost);
    options.out.write(
      `${signal}: ${result.found} requests found, ${result.delivered} delivered, ${lost} lost, ${result.waiting} still waiting${result.waiting > 0 ? ` (last error: ${result.lastError})` : ''}${keptByReason(result.refused)}\n`,
    );
  }
  return waiting === 0 ? 0 : 1;
}

const isSignalFile = (name: string, signal: Signal) => name === `${signal}.jsonl` || REPLAYING.exec(name)?.[1] === signal;

/** A regular file (lstat: a symlink is not one). */
function isRegular(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** This signal's files to replay: those a cut-off replay left, then the live file, renamed to be ours. Symlinks and folders are left alone. */
function claim(dir: string, signal: Signal): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const match = REPLAYING.exec(name);
    if (match?.[1] === signal && !alive(Number(match[2])) && isRegular(join(dir, name))) files.push(join(dir, name));
  }
  const live = join(dir, `${signal}.jsonl`);
  if (isRegular(live)) {
    const mine = join(dir, `${signal}.jsonl.${process.pid}.replaying`);
    renameSync(live, mine);
    files.push(mine);
  }
  return files;
}

async function replayFile(file: string, transport: OtlpHttpTransport, result: Tally, dropRejected: boolean): Promise<void> {
  // Refused for good and kept: written back, in order, for another try.
  const kept: string[] = [];
  const keep = (rest: string[]) => {
    writeFileSync(`${file}.tmp`, `${rest.join('\n')}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  };
  // Read until the file stops growing: an append that opened it before the rename may land after the first read.
  let offset = 0;
  for (;;) {
    const text = readText(file);
    if (text.length === offset) break;
    const requests = lines(text.slice(offset));
    offset = text.length;
    result.found += requests.length;
    for (let i = 0; i < requests.length; i++) {
      const sent = await transport.send(Buffer.from(requests[i]!, 'utf8'), 'json');
      if (sent?.ok) {
        result.delivered++;
      } else if (sent && !sent.retryable) {
        const tally = dropRejected ? result.lost : result.refused;
        tally.set(sent.reason, (tally.get(sent.reason) ?? 0) + 1);
        if (!dropRejected) kept.push(requests[i]!);
      } else {
        // Kept for the next try: what was not sent yet, this request first.
        const unread = lines(readText(file).slice(offset));
        const rest = [...requests.slice(i), ...unread];
        result.found += unread.length;
        result.waiting += rest.length;
        result.lastError = sent?.reason ?? 'unknown';
        keep([...kept, ...rest]);
        return;
      }
    }
  }
  if (kept.length > 0) keep(kept);
  else rmSync(file, { force: true });
}
