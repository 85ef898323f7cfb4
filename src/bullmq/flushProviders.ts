import { metrics, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { logs, type LoggerProvider } from '@opentelemetry/api-logs';

interface Flushable {
  forceFlush(): Promise<unknown>;
}

const isFlushable = (provider: unknown): provider is Flushable =>
  typeof provider === 'object' && provider !== null && typeof (provider as Partial<Flushable>).forceFlush === 'function';

/** The SDK provider behind the API's global proxy (the tracer provider's is one), or the provider itself. */
function behindProxy(provider: unknown): unknown {
  const getDelegate = (provider as { getDelegate?: unknown } | null)?.getDelegate;
  return typeof getDelegate === 'function' ? (getDelegate as () => unknown).call(provider) : provider;
}

/**
 * Force-flushes the SDK providers behind the given ones (the global ones where
 * none is given): resolves once each has handed what it holds to its exporter
 * (`batchtel/sdk`'s durable pipelines: delivered, or safe in the spool), or after
 * `timeoutMs` when one hangs. Never rejects; the API's no-op providers have
 * nothing to flush.
 */
export async function flushProviders(
  given: {
    readonly tracerProvider?: TracerProvider | undefined;
    readonly meterProvider?: MeterProvider | undefined;
    readonly loggerProvider?: LoggerProvider | undefined;
  },
  timeoutMs: number,
): Promise<void> {
  const providers = [
    given.tracerProvider ?? trace.getTracerProvider(),
    given.loggerProvider ?? logs.getLoggerProvider(),
    given.meterProvider ?? metrics.getMeterProvider(),
  ]
    .map(behindProxy)
    .filter(isFlushable);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  const work = Promise.all(
    providers.map((provider) =>
      Promise.resolve()
        .then(() => provider.forceFlush())
        .catch(() => undefined),
    ),
  );
  await Promise.race([work, deadline]);
  clearTimeout(timer);
}
