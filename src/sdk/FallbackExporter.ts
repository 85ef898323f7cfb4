import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { isConnectionFailure as isConnectionFailureText } from '../core/errors.js';
import { ReportOnce } from '../core/ReportOnce.js';

interface Exporter<T> {
  export(items: T, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

function isConnectionFailure(result: ExportResult): boolean {
  const error = result.error as (Error & { code?: string }) | undefined;
  if (!error) return false;
  const text = `${error.code ?? ''} ${error.message ?? ''}`;
  return isConnectionFailureText(text) || /connect/i.test(text);
}

/**
 * Sends to the collector; while none answers, keeps what would be lost in the
 * local fallback (OTLP JSON lines) and says so once. Looks for the collector
 * again every `recheckMs`.
 */
export class FallbackExporter<T> implements Exporter<T> {
  private downUntil = 0;
  private readonly announcement = new ReportOnce<'collector_down'>((_, message) => this.announce(message));

  constructor(
    private readonly primary: Exporter<T>,
    private readonly fallback: Exporter<T>,
    private readonly describe: { primary: string; fallback: string },
    private readonly recheckMs = 30_000,
    private readonly announce: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
  ) {}

  export(items: T, done: (result: ExportResult) => void): void {
    if (Date.now() < this.downUntil) {
      this.fallback.export(items, done);
      return;
    }
    this.primary.export(items, (result) => {
      if (result.code === ExportResultCode.SUCCESS || !isConnectionFailure(result)) {
        done(result);
        return;
      }
      this.downUntil = Date.now() + this.recheckMs;
      this.announcement.report(
        'collector_down',
        `batchtel: no OpenTelemetry Collector answers at ${this.describe.primary}; telemetry is written to ${this.describe.fallback} instead`,
      );
      this.fallback.export(items, done);
    });
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.primary.shutdown(), this.fallback.shutdown()]);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([this.primary.forceFlush?.(), this.fallback.forceFlush?.()]);
  }
}
