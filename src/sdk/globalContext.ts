import { context, createContextKey, propagation, ROOT_CONTEXT, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Propagator } from './env.js';

const PROBE = createContextKey('batchtel context probe');

/** True when a context manager is registered: a value set with `context.with` is seen inside it (the API's no-op manager drops it). */
function hasContextManager(): boolean {
  return context.with(ROOT_CONTEXT.setValue(PROBE, true), () => context.active().getValue(PROBE) === true);
}

/** True when a propagator is registered (the API's no-op one injects no fields). */
const hasPropagator = () => propagation.fields().length > 0;

/**
 * Trace context for apps with no other SDK: an AsyncLocalStorage context
 * manager (the active span follows awaits and callbacks) and the W3C
 * trace-context and baggage propagators (or those OTEL_PROPAGATORS names),
 * each only if the app has not registered its own. Returns what undoes it.
 */
export function registerGlobalContext(propagators: readonly Propagator[] = ['tracecontext', 'baggage']): () => void {
  const undo: Array<() => void> = [];
  if (!hasContextManager()) {
    const manager = new AsyncLocalStorageContextManager().enable();
    if (context.setGlobalContextManager(manager)) undo.push(() => context.disable());
  }
  if (!hasPropagator() && propagators.length > 0) {
    const made: TextMapPropagator[] = propagators.map((name) => (name === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator()));
    if (propagation.setGlobalPropagator(new CompositePropagator({ propagators: made }))) undo.push(() => propagation.disable());
  }
  return () => {
    for (const step of undo) step();
  };
}
