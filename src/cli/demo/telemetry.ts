/**
 * The demo's telemetry: `batchtel/sdk`'s `startTelemetry`, which sends OTLP to
 * the collector named by OTEL_EXPORTER_OTLP_ENDPOINT or listening on
 * 127.0.0.1:4318, and writes OTLP JSON lines to .batchtel/otlp while none
 * answers. Its `destination` says which, and the demo prints it.
 */
import { startTelemetry } from '../../sdk/index.js';

export interface DemoTelemetry {
  /** Where telemetry goes, for people. */
  readonly destination: string;
  shutdown(): Promise<void>;
}

export function startDemoTelemetry(serviceName = 'batchtel-demo'): DemoTelemetry {
  // The demo handles Ctrl-C itself (cancel, summaries, then a bounded flush).
  const handle = startTelemetry({ serviceName, handleSignals: false });
  return { destination: handle.destination, shutdown: () => handle.shutdown() };
}
