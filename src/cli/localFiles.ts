/**
 * `batchtel local`: the OTLP JSON lines the local default wrote while no
 * collector listened (`.batchtel/otlp/<signal>.jsonl`, one export request a
 * line), shown and sent to a collector once one runs. A collector with the
 * `otlpjsonfile` receiver can read the folder itself; this serves the ones
 * without it (batchtel's own distribution among them).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OtlpHttpTransport } from '../sdk/delivery/OtlpHttpTransport.js';
import { alive } from '../sdk/delivery/Spool.js';
import { readOtelEnv } from '../sdk/env.js';
import { lostByReason, replayTransport, type ReplayOptions } from './replayTarget.js';

const SIGNALS = ['traces', 'metrics', 'logs'] as const;
type Signal = (typeof SIGNALS)[number];

/** A file being replayed: `<signal>.jsonl.<pid>.replaying`, left behind if that replay was cut off. */
const REPLAYING = /^(traces|metrics|logs)\.jsonl\.(\d+)\.replaying$/;

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

export function localStatus(dir: string, out: NodeJS.WritableStream): number {
  if (!existsSync(dir)) {
    out.write(`${dir}: no local telemetry here\n`);
    return 0;
  }
  for (const signal of SIGNALS) {
    const files = readdirSync(dir).filter((name) => name === `${signal}.jsonl` || REPLAYING.exec(name)?.[1] === signal);
    const requests = files.reduce((n, name) => n + lines(readFileSync(join(dir, name), 'utf8')).length, 0);
    const bytes = files.reduce((n, name) => n + statSync(join(dir, name)).size, 0);
    out.write(requests === 0 ? `${signal}: empty\n` : `${signal}: ${requests} requests, ${(bytes / 1024).toFixed(1)} KiB\n`);
  }
  return 0;
}

/**
 * Sends every line, oldest first, and removes what was delivered; 0 when all
 * of it was, 1 when some waits for the next try. The live file is renamed
 * before it is read, so an app still writing starts a new one.
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
    const result = { found: 0, delivered: 0, lost: new Map<string, number>(), waiting: 0, lastError: '' };
    for (const file of claim(options.dir, signal)) {
      if (result.waiting > 0) {
        // The endpoint is failing: the rest is not tried, only counted.
        const n = lines(readFileSync(file, 'utf8')).length;
        result.found += n;
        result.waiting += n;
        continue;
      }
      await replayFile(file, transport, result);
    }
    waiting += result.waiting;
    const lost = lostByReason(result.lost);
    options.out.write(
      `${signal}: ${result.found} requests found, ${result.delivered} delivered, ${lost} lost, ${result.waiting} still waiting${result.waiting > 0 ? ` (last error: ${result.lastError})` : ''}\n`,
    );
  }
  return waiting === 0 ? 0 : 1;
}

/** This signal's files to replay: those a cut-off replay left, then the live file, renamed to be ours. */
function claim(dir: string, signal: Signal): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const match = REPLAYING.exec(name);
    if (match?.[1] === signal && !alive(Number(match[2]))) files.push(join(dir, name));
  }
  const live = join(dir, `${signal}.jsonl`);
  if (existsSync(live)) {
    const mine = join(dir, `${signal}.jsonl.${process.pid}.replaying`);
    renameSync(live, mine);
    files.push(mine);
  }
  return files;
}

async function replayFile(
  file: string,
  transport: OtlpHttpTransport,
  result: { found: number; delivered: number; lost: Map<string, number>; waiting: number; lastError: string },
): Promise<void> {
  // Read until the file stops growing: an append that opened it before the rename may land after the first read.
  let offset = 0;
  for (;;) {
    const text = readFileSync(file, 'utf8');
    if (text.length === offset) break;
    const requests = lines(text.slice(offset));
    offset = text.length;
    result.found += requests.length;
    for (let i = 0; i < requests.length; i++) {
      const sent = await transport.send(Buffer.from(requests[i]!, 'utf8'), 'json');
      if (sent?.ok) {
        result.delivered++;
      } else if (sent && !sent.retryable) {
        result.lost.set(sent.reason, (result.lost.get(sent.reason) ?? 0) + 1);
      } else {
        // Kept for the next try: what was not sent yet, this request first.
        const unread = lines(readFileSync(file, 'utf8').slice(offset));
        const rest = [...requests.slice(i), ...unread];
        result.found += unread.length;
        result.waiting += rest.length;
        result.lastError = sent?.reason ?? 'unknown';
        writeFileSync(`${file}.tmp`, `${rest.join('\n')}\n`);
        renameSync(`${file}.tmp`, file);
        return;
      }
    }
  }
  rmSync(file, { force: true });
}
