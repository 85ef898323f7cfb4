import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedRequest {
  readonly signal: 'traces' | 'metrics' | 'logs';
  readonly contentType: string;
  /** Decompressed body as received. */
  readonly raw: Buffer;
  /** Parsed, for http/json. */
  readonly json: unknown;
  /** When it arrived (Date.now()). */
  readonly at: number;
}

/** A scripted answer; `delayMs` makes a slow endpoint. */
export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

/**
 * A real OTLP/HTTP endpoint on 127.0.0.1 that keeps what it receives. Answers
 * 200 unless told otherwise (`respondWith`), so fault tests can script it.
 */
export class OtlpSink {
  readonly received: ReceivedRequest[] = [];
  private server: Server | undefined;
  /** Scripted answers: a non-200 status is refused (and not recorded); a 200 with a body is recorded and answered with it. */
  respondWith: ((request: IncomingMessage, body: Buffer) => Scripted | undefined) | undefined;
  /** Every request that arrived, recorded or refused. */
  requests = 0;

  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests++;
        const scripted = this.respondWith?.(request, Buffer.concat(chunks));
        if (scripted?.delayMs) {
          // A slow endpoint: answer later, as scripted, without the delay.
          setTimeout(() => this.answer(request, response, chunks, { ...scripted, delayMs: 0 }), scripted.delayMs);
          return;
        }
        this.answer(request, response, chunks, scripted);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  private answer(request: IncomingMessage, response: ServerResponse, chunks: Buffer[], scripted: Scripted | undefined): void {
    if (scripted && scripted.status !== 200) {
      response.writeHead(scripted.status, scripted.headers ?? {});
      response.end();
      return;
    }
    let raw = Buffer.concat(chunks);
    if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const contentType = request.headers['content-type'] ?? '';
    const signal = (request.url ?? '').split('/').pop() as ReceivedRequest['signal'];
    const json = contentType.includes('json') ? JSON.parse(raw.toString('utf8')) : undefined;
    this.received.push({ signal, contentType, raw, json, at: Date.now() });
    response.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
    response.end(scripted?.body ?? (contentType.includes('json') ? '{}' : undefined));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  of(signal: ReceivedRequest['signal']): ReceivedRequest[] {
    return this.received.filter((r) => r.signal === signal);
  }

  /** Every span in the JSON trace requests. */
  spans(): Array<{ name: string; attributes: Array<{ key: string; value: Record<string, unknown> }>; status?: { message?: string } }> {
    return this.of('traces').flatMap((r) =>
      ((r.json as { resourceSpans?: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> })?.resourceSpans ?? []).flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans),
      ),
    ) as never;
  }

  logRecords(): Array<{ eventName?: string; body?: { stringValue?: string }; attributes: Array<{ key: string; value: Record<string, unknown> }> }> {
    return this.of('logs').flatMap((r) =>
      ((r.json as { resourceLogs?: Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }> })?.resourceLogs ?? []).flatMap((rl) =>
        rl.scopeLogs.flatMap((sl) => sl.logRecords),
      ),
    ) as never;
  }

  metricNames(): Set<string> {
    return new Set(
      this.of('metrics').flatMap((r) =>
        ((r.json as { resourceMetrics?: Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string }> }> }> })?.resourceMetrics ?? []).flatMap((rm) =>
          rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name)),
        ),
      ),
    );
  }

  /** Everything received, as text: for "the canary is nowhere" checks. */
  allText(): string {
    return this.received.map((r) => r.raw.toString('utf8')).join('\n');
  }
}
