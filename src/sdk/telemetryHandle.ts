import { diag, metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { deliveryStats, type DeliveryPipeline } from './delivery/DeliveryMetrics.js';
import type { TelemetryHandle } from './telemetrySetup.js';
import { untraced } from './Untraced.js';

export interface HandleParts {
  readonly tracerProvider: TracerProvider;
  readonly loggerProvider: LoggerProvider;
  readonly meterProvider: MeterProvider;
  readonly pipelines: readonly DeliveryPipeline[];
  readonly destination: string;
  readonly shutdownTimeoutMillis: number;
  readonly handleSignals: boolean;
  readonly undoGlobalContext: () => void;
}

/**
 * The app's handle on what startTelemetry registered: flush, stats, and one
 * shutdown (bounded by `shutdownTimeoutMillis`) that also runs on SIGTERM,
 * SIGINT and beforeExit when `handleSignals` is on.
 */
export function createTelemetryHandle(parts: HandleParts): TelemetryHandle {
  const { tracerProvider, loggerProvider, meterProvider } = parts;
  let shutdownPromise: Promise<void> | undefined;
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    void handle.shutdown().finally(() => {
      // Our handler kept the process alive; end it the way the signal would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  const onBeforeExit = () => void handle.shutdown();
  const removeHandlers = () => {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('beforeExit', onBeforeExit);
  };
  const handle: TelemetryHandle = {
    destination: parts.destination,
    deliveryStats: () => parts.pipelines.map(deliveryStats),
    forceFlush: () =>
      untraced(async () => {
        await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush(), meterProvider.forceFlush()]);
      }),
    shutdown: () => {
      shutdownPromise ??= untraced(async () => {
        removeHandlers();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolveDeadline) => {
          timer = setTimeout(() => {
            diag.warn(`batchtel: telemetry shutdown took longer than ${parts.shutdownTimeoutMillis} ms; giving up`);
            resolveDeadline();
          }, parts.shutdownTimeoutMillis);
          timer.unref();
        });
        // Logs and traces first: the final metric export then carries the run's last counts.
        const work = Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()])
          .then(() => meterProvider.shutdown())
          .catch((error: unknown) => diag.error(`batchtel: telemetry shutdown failed: ${String(error)}`));
        await Promise.race([work, deadline]);
        if (timer) clearTimeout(timer);
        trace.disable();
        logs.disable();
        metrics.disable();
        parts.undoGlobalContext();
      });
      return shutdownPromise;
    },
  };
  if (parts.handleSignals) {
    for (const signal of signals) process.once(signal, onSignal);
    process.once('beforeExit', onBeforeExit);
  }
  return handle;
}
