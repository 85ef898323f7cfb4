import { OtlpHttpTransport } from '../sdk/delivery/OtlpHttpTransport.js';
import type { OtelEnv, Signal } from '../sdk/env.js';

/** Where `spool replay` and `local replay` send, and where they report. */
export interface ReplayOptions {
  readonly dir: string;
  /** Base OTLP/HTTP URL; `/v1/<signal>` is appended. */
  readonly endpoint: string;
  readonly timeoutMillis: number;
  /** Drop (count as lost) what the endpoint refuses for good; by default it is kept for another try. */
  readonly dropRejected: boolean;
  readonly out: NodeJS.WritableStream;
}

/** The signal's OTLP/HTTP transport, with the headers and compression the OTEL_* variables give that signal. */
export function replayTransport(options: ReplayOptions, env: OtelEnv, signal: Signal): OtlpHttpTransport {
  return new OtlpHttpTransport(
    `${options.endpoint.replace(/\/+$/, '')}/v1/${signal}`,
    { ...env.headers, ...env.signalHeaders[signal] },
    options.timeoutMillis,
    (env.signalCompression[signal] ?? env.compression ?? 'gzip') === 'gzip',
  );
}

/** `3 (400), 1 (401)`, or `0`. */
export const lostByReason = (lost: Iterable<[string, number]>): string => [...lost].map(([reason, n]) => `${n} (${reason})`).join(', ') || '0';

/** `, 7 refused (500) and kept`, or nothing. */
export const keptByReason = (kept: Iterable<[string, number]>): string => {
  const list = [...kept];
  const n = list.reduce((sum, [, count]) => sum + count, 0);
  return n === 0 ? '' : `, ${n} refused (${list.map(([reason]) => reason).join(', ')}) and kept`;
};
