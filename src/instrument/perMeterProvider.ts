import { metrics, type Meter, type MeterProvider } from '@opentelemetry/api';
import { SCOPE_NAME } from '../semconv.js';
import { VERSION } from '../version.js';

/**
 * One `T` per meter provider, made from batchtel's meter on first use (the global
 * provider when none is given): a library must not read the global provider at import time.
 */
export function perMeterProvider<T>(make: (meter: Meter) => T): (provider?: MeterProvider) => T {
  const cache = new WeakMap<MeterProvider, T>();
  return (provider = metrics.getMeterProvider()) => {
    let made = cache.get(provider);
    if (made === undefined) {
      made = make(provider.getMeter(SCOPE_NAME, VERSION));
      cache.set(provider, made);
    }
    return made;
  };
}
