import type { ClientRequest } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { parseRetryAfter } from '../../core/errors.js';
import { gzip, gzipSync } from 'node:zlib';

// On libuv's thread pool: compression stays off the event loop the app runs on.
const gzipAsync = promisify(gzip);
/**
 * The fastest level: on OTLP requests it takes half the CPU of the default
 * (6) for about 2% more bytes (bench:export's records: 34.7 vs 34.1 bytes a
 * span), and compression is the largest cost left in delivery.
 */
const GZIP_LEVEL = 1;

export interface SendResult {
  /** 2xx. */
  readonly ok: boolean;
  /** Worth another try (connection failure, timeout, 429, 502, 503, 504), per the OTLP specification. */
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** What Retry-After asked for, capped at MAX_RETRY_WAIT_MS. */
  readonly retryAfterMs: number | undefined;
  readonly body: Uint8Array | undefined;
  /** Low-cardinality reason for telemetry: the status code or the connection error code. */
  readonly reason: string;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * The longest any retry waits, whatever Retry-After says (5 minutes): a
 * server asking for days would otherwise overflow setTimeout's 32-bit delay,
 * which Node turns into 1 ms (a retry storm).
 */
export const MAX_RETRY_WAIT_MS = 5 * 60_000;

/** A response body is read up to this size (an OTLP partial success is far smaller), then discarded. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

function retryAfter(value: string | undefined): number | undefined {
  const ms = parseRetryAfter(value, Date.now());
  return ms === undefined ? undefined : Math.min(MAX_RETRY_WAIT_MS, ms);
}

const failure = (reason: string, retryable: boolean, status?: number): SendResult => ({
  ok: false,
  retryable,
  status,
  retryAfterMs: undefined,
  body: undefined,
  reason,
});

/** The URL, or the error code that says why it cannot be requested (reported by the sender, not thrown). */
function parseTarget(url: string): URL | string {
  try {
    const target = new URL(url);
    return target.protocol === 'http:' || target.protocol === 'https:' ? target : 'ERR_INVALID_PROTOCOL';
  } catch {
    return 'ERR_INVALID_URL';
  }
}

/**
 * One OTLP/HTTP POST at a time per call. Never logs headers or payloads,
 * never rejects: whatever goes wrong is a SendResult. `timeoutMillis` bounds
 * the whole exchange (connect, upload, response headers and body), so an
 * endpoint that drips its answer cannot hold a request.
 */
export class OtlpHttpTransport {
  private readonly target: URL | string;
  private readonly pending = new Set<ClientRequest>();
  private aborted = false;

  constructor(
    url: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly timeoutMillis: number,
    private readonly gzip: boolean,
    /** Compress on this thread (the export worker: lower priority, nothing else to do) rather than on libuv's pool. */
    private readonly compressInline = false,
  ) {
    this.target = parseTarget(url);
  }

  /** Sends one request; `stillWanted` is asked once compressed, and if it says no, nothing is sent and undefined returned. */
  async send(body: Uint8Array, encoding: 'protobuf' | 'json', stillWanted: () => boolean = () => true): Promise<SendResult | undefined> {
    if (typeof this.target === 'string') return failure(this.target, false);
    if (this.aborted) return failure('aborted', true);
    try {
      const payload = !this.gzip
        ? Buffer.from(body)
        : this.compressInline
          ? gzipSync(body, { level: GZIP_LEVEL })
          : await gzipAsync(body, { level: GZIP_LEVEL });
      if (!stillWanted()) return undefined;
      if (this.aborted) return failure('aborted', true);
      return await this.post(this.target, payload, encoding);
    } catch (error) {
      return failure((error as { code?: string }).code ?? 'request_error', false);
    }
  }

  /** Ends every pending request now (they resolve as `aborted`) and sends nothing more: shutdown gave up. */
  abort(): void {
    this.aborted = true;
    for (const req of this.pending) req.destroy(Object.assign(new Error('aborted'), { code: 'aborted' }));
    this.pending.clear();
  }

  private post(target: URL, payload: Buffer, encoding: 'protobuf' | 'json'): Promise<SendResult> {
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.pending.delete(req);
        resolve(result);
      };
      const req = request(
        target,
        {
          method: 'POST',
          headers: {
            ...this.headers,
            'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
            'content-length': String(payload.length),
            ...(this.gzip ? { 'content-encoding': 'gzip' } : {}),
          },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          const answer = (body: Uint8Array | undefined): SendResult => ({
            ok,
            retryable: !ok && RETRYABLE.has(status),
            status,
            retryAfterMs: retryAfter(res.headers['retry-after'] as string | undefined),
            body,
            reason: String(status),
          });
          const declared = Number(res.headers['content-length'] ?? 0);
          if (!ok || declared > MAX_RESPONSE_BYTES) {
            // The status says it all (a refusal's body is never read; an oversized one is no partial success anyone can use).
            settle(answer(undefined));
            req.destroy();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              settle(answer(undefined));
              req.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => settle(answer(chunks.length > 0 ? Buffer.concat(chunks) : undefined)));
          res.on('error', () => settle(failure('response_error', true, status)));
          res.on('close', () => settle(failure('response_error', true, status)));
        },
      );
      this.pending.add(req);
      // The whole exchange, not idle time: a server that sends a byte now and then cannot hold the request.
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })), this.timeoutMillis);
      deadline.unref();
      req.on('error', (error: Error & { code?: string }) => settle(failure(error.code ?? 'connection_error', true)));
      req.end(payload);
    });
  }
}
