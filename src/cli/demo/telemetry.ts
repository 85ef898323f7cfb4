/**
 * The demo's telemetry: `batchtel/sdk`'s `startTelemetry`, which sends OTLP to
 * the collector named by OTEL_EXPORTER_OTLP_ENDPOINT or listening on
 * 127.0.0.1:4318, and writes OTLP JSON lines to .batchtel/otlp while none
 * answers. Its `destination` says where it will try; `report()` says, with
 * counts, where the spans and log records went.
 */
import { startTelemetry } from '../../sdk/index.js';
import type { DeliveryStats } from '../../sdk/index.js';

export interface DemoTelemetry {
  /** Where telemetry will go, for people. */
  readonly destination: string;
  shutdown(): Promise<void>;
  /** After shutdown: one line per signal saying where its records actually went. */
  report(): string[];
}

const LOCAL_DIR = '.batchtel/otlp';
const WHAT = { traces: 'spans', logs: 'log records' } as const;

/** "traces → URL (…); metrics → URL (…)" → { traces: URL, metrics: URL }. */
function urls(destination: string): Record<string, string> {
  return Object.fromEntries([...destination.matchAll(/(traces|metrics|logs) → (\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/** One signal's fate: sent to the collector, written locally, still waiting, lost. */
export function deliveryLine(s: DeliveryStats, url: string | undefined): string {
  const sent = s.delivered - s.writtenLocally;
  const lost = Object.values(s.dropped).reduce((a, b) => a + b, 0);
  const parts: string[] = [];
  if (sent > 0 || s.writtenLocally === 0) parts.push(`${sent} sent to ${url ?? 'the collector'}`);
  if (s.writtenLocally > 0)
    parts.push(`${s.writtenLocally} written to ${LOCAL_DIR} (no collector answered${url ? ` at ${url}` : ''}; \`batchtel local replay\` sends them later)`);
  if (s.localEvicted > 0) parts.push(`${s.localEvicted} of them evicted since (the folder is bounded)`);
  if (s.pending > 0) parts.push(`${s.pending} not delivered yet (kept in the spool; the next start or \`batchtel spool replay\` sends them)`);
  if (lost > 0)
    parts.push(
      `${lost} lost (${Object.entries(s.dropped)
        .map(([why, n]) => `${n} ${why}`)
        .join(', ')})`,
    );
  return `${s.signal} (${WHAT[s.signal]}): ${parts.join(', ')}`;
}

export function startDemoTelemetry(serviceName = 'batchtel-demo'): DemoTelemetry {
  // The demo handles Ctrl-C itself (cancel, summaries, then a bounded flush).
  const handle = startTelemetry({ serviceName, handleSignals: false, localDir: LOCAL_DIR });
  return {
    destination: handle.destination,
    shutdown: () => handle.shutdown(),
    report: () => {
      const to = urls(handle.destination);
      const lines = handle.deliveryStats().map((s) => deliveryLine(s, to[s.signal]));
      if (to['metrics'])
        lines.push(
          `metrics: exported to ${to['metrics']}${/metrics → \S+ \([^)]*else/.test(handle.destination) ? `, or written to ${LOCAL_DIR} while no collector answered` : ''}`,
        );
      return lines;
    },
  };
}
