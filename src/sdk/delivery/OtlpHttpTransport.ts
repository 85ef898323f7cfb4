import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

// On libuv's thread pool: compression stays off the event loop the app runs on.
const gzipAsync = promisify(gzip);

export interface SendResult {
  /** 2xx. */
  readonly ok: boolean;
  /** Worth another try (connection failure, 429, 502, 503, 504), per the OTLP specification. */
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly body: Uint8Array | undefined;
  /** Low-cardinality reason for telemetry: the status code or the connection error code. */
  readonly reason: string;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** One OTLP/HTTP POST. Never logs headers or payloads. */
export class OtlpHttpTransport {
  constructor(
    private readonly url: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly timeoutMillis: number,
    private readonly gzip: boolean,
  ) {}

  /** Sends one request; `stillWanted` is asked once compressed, and if it says no, nothing is sent and undefined returned. */
  async send(body: Uint8Array, encoding: 'protobuf' | 'json', stillWanted: () => boolean = () => true): Promise<SendResult | undefined> {
    const payload = this.gzip ? await gzipAsync(body) : Buffer.from(body);
    if (!stillWanted()) return undefined;
    const target = new URL(this.url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
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
          timeout: this.timeoutMillis,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const ok = status >= 200 && status < 300;
            resolve({
              ok,
              retryable: !ok && RETRYABLE.has(status),
              status,
              retryAfterMs: retryAfter(res.headers['retry-after'] as string | undefined),
              body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
              reason: String(status),
            });
          });
          res.on('error', () => resolve({ ok: false, retryable: true, status, retryAfterMs: undefined, body: undefined, reason: 'response_error' }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (error: Error & { code?: string }) =>
        resolve({ ok: false, retryable: true, status: undefined, retryAfterMs: undefined, body: undefined, reason: error.code ?? 'connection_error' }),
      );
      req.end(payload);
    });
  }
}
