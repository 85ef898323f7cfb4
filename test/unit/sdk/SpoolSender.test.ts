import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag, type DiagLogger } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_RETRY_WAIT_MS, OtlpHttpTransport, type SendResult } from '../../../src/sdk/delivery/OtlpHttpTransport.js';
import { Spool } from '../../../src/sdk/delivery/Spool.js';
import { SpoolSender, type SpoolSenderOptions } from '../../../src/sdk/delivery/SpoolSender.js';

const spool = () => new Spool({ dir: mkdtempSync(join(tmpdir(), 'batchtel-sender-unit-')), prefix: 'logs', maxBytes: 1 << 30, encoding: 'json' });

/** A transport that answers every request with `answer` and counts them. */
function scripted(answer: () => SendResult | Promise<SendResult>) {
  const transport = { sent: 0, aborted: false, send: async () => (transport.sent++, answer()), abort: () => (transport.aborted = true) };
  return transport;
}

/** A sender on a fresh spool over a scripted transport. */
function senderOver(transport: ReturnType<typeof scripted>, options: Partial<SpoolSenderOptions> = {}) {
  const s = spool();
  const sender = new SpoolSender({ signal: 'logs', spool: s, transport: transport as unknown as OtlpHttpTransport, rejected: () => undefined, ...options });
  return { s, sender };
}

function captureDiag() {
  const lines: string[] = [];
  const push = (message: string) => lines.push(message);
  diag.setLogger({ error: push, warn: push, info: push, debug: () => undefined, verbose: () => undefined } as DiagLogger, { suppressOverrideMessage: true });
  return lines;
}

afterEach(() => {
  diag.disable();
  vi.restoreAllMocks();
});

describe('SpoolSender', () => {
  it('never waits longer than MAX_RETRY_WAIT_MS, whatever Retry-After or maxBackoffMs say: no setTimeout overflow, no retry storm', async () => {
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((_fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return real(() => undefined, 0);
    }) as typeof setTimeout);
    const transport = scripted(() => ({ ok: false, retryable: true, status: 429, retryAfterMs: 99_999_999_000, body: undefined, reason: '429' }));
    const { s, sender } = senderOver(transport, { maxBackoffMs: 1e12, baseBackoffMs: 1e12 });
    sender.enqueue(s.write(Buffer.from('{}'), 1)!);
    await sender.flush();
    expect(transport.sent).toBe(1);
    expect(delays.length).toBeGreaterThan(0);
    for (const ms of delays) expect(ms).toBeLessThanOrEqual(MAX_RETRY_WAIT_MS);
    sender.close();
  });

  it('a request evicted while its send was failing still backs the sender off: the next request waits for the retry, and is not kept in memory', async () => {
    vi.useFakeTimers();
    let answer: (result: SendResult) => void = () => {};
    const transport = scripted(() => new Promise<SendResult>((resolve) => (answer = resolve)));
    const { s, sender } = senderOver(transport, { baseBackoffMs: 1000, maxBackoffMs: 1000 });
    const first = s.write(Buffer.from('{"a":1}'), 1)!;
    sender.enqueue(first, Buffer.from('{"a":1}'));
    expect(transport.sent).toBe(1);
    sender.evicted(first);
    answer({ ok: false, retryable: true, status: 503, retryAfterMs: undefined, body: undefined, reason: '503' });
    await vi.advanceTimersByTimeAsync(0);
    expect(sender.counts.dropped).toEqual({ evicted: 1 });
    const second = Buffer.from('{"b":2}');
    sender.enqueue(s.write(second, 1)!, second);
    await vi.advanceTimersByTimeAsync(0);
    // Before: sent at once (no backoff), its body kept in memory, and so on for every request of an outage.
    expect(transport.sent).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.sent).toBe(2);
    sender.close();
    vi.useRealTimers();
  });

  it('a request queued behind a backlog is not kept in memory for its send: it is read back from disk when its turn comes', async () => {
    const answers: Array<(result: SendResult) => void> = [];
    const transport = scripted(() => new Promise<SendResult>((resolve) => answers.push(resolve)));
    const { s, sender } = senderOver(transport, { concurrency: 2 });
    const read = vi.spyOn(s, 'read');
    for (let i = 0; i < 5; i++) {
      const body = Buffer.from(`{"n":${i}}`);
      sender.enqueue(s.write(body, 1)!, body);
    }
    // Two in flight (sent from memory), the next two kept (as many as go at once), the fifth not.
    expect(transport.sent).toBe(2);
    const ok: SendResult = { ok: true, retryable: false, status: 200, retryAfterMs: undefined, body: undefined, reason: '200' };
    while (sender.counts.delivered < 5) {
      answers.shift()?.(ok);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(read).toHaveBeenCalledTimes(1);
    sender.close();
  });

  it('an endpoint that cannot be requested: no unhandled rejection, the records counted by error.type and reported once', async () => {
    const lines = captureDiag();
    const s = spool();
    const sender = new SpoolSender({
      signal: 'logs',
      spool: s,
      transport: new OtlpHttpTransport('collector:4318/v1/logs', {}, 1000, true),
      rejected: () => undefined,
    });
    sender.enqueue(s.write(Buffer.from('{}'), 3)!);
    sender.enqueue(s.write(Buffer.from('{}'), 4)!);
    await sender.flush();
    expect(sender.counts.dropped).toEqual({ ERR_INVALID_PROTOCOL: 7 });
    expect(sender.pending()).toBe(0);
    expect(lines.filter((l) => l.includes('ERR_INVALID_PROTOCOL'))).toHaveLength(1);
    sender.close();
  });

  it('a transport that throws or rejects is a counted failure, never an unhandled rejection', async () => {
    const transport = scripted(() => Promise.reject(new Error('boom')));
    const { s, sender } = senderOver(transport);
    sender.enqueue(s.write(Buffer.from('{}'), 2)!);
    await sender.flush();
    expect(sender.counts.dropped).toEqual({ send_failed: 2 });
    sender.close();
  });

  it('at close, what only memory held is counted lost (spool_unavailable) there and then; what is on disk stays pending; requests in flight are aborted', async () => {
    const transport = scripted(() => new Promise<SendResult>(() => undefined));
    const { s, sender } = senderOver(transport, { concurrency: 1 });
    sender.enqueueInMemory(Buffer.from('{}'), 5, 'json');
    sender.enqueueInMemory(Buffer.from('{}'), 6, 'json');
    sender.enqueue(s.write(Buffer.from('{}'), 7)!);
    expect(sender.pending()).toBe(18);
    sender.close();
    expect(transport.aborted).toBe(true);
    expect(sender.counts.dropped).toEqual({ spool_unavailable: 11 });
    expect(sender.pending()).toBe(7);
  });

  it('keepRefused (the replay commands): a refused request stays on disk, counted as refused, not lost and not retried', async () => {
    const s = spool();
    const transport = scripted(() => ({ ok: false, retryable: false, status: 500, retryAfterMs: undefined, body: undefined, reason: '500' }));
    const sender = new SpoolSender({
      signal: 'logs',
      spool: s,
      transport: transport as unknown as OtlpHttpTransport,
      rejected: () => undefined,
      keepRefused: true,
    });
    const file = s.write(Buffer.from('{}'), 9)!;
    sender.enqueue(file);
    await sender.flush();
    expect(sender.counts.dropped).toEqual({});
    expect(sender.counts.refused).toEqual({ 500: 9 });
    expect(transport.sent).toBe(1);
    sender.close();
    expect(s.names()).toEqual([file.name]);
  });
});
