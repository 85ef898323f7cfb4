import { randomUUID } from 'node:crypto';
import { systemClock } from '../core/clock.js';
import { AlertEvaluator } from '../core/alerts/AlertEvaluator.js';
import { Problems } from '../core/problems.js';
import { Run } from '../core/Run.js';
import { defaultRegistry } from '../core/RunRegistry.js';
import { diagSink } from '../instrument/diagSink.js';
import { RunTelemetry } from '../instrument/RunTelemetry.js';
import { attachDisplay } from '../progress/attachDisplay.js';
import { parseOptions, runOptionsSchema, type RunOptions, type RunOptionsInput } from './options.js';

export interface CreatedRun {
  readonly run: Run;
  readonly telemetry: RunTelemetry;
  readonly options: RunOptions;
}

/** Turns free text into a low-cardinality identifier: "Sync Users!" → "sync_users". */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return s.length > 0 ? s : 'batch';
}

/** The one place a run is assembled: validated options, core run, telemetry, registry. */
export function createRun(input: RunOptionsInput, what = 'batch options', extra: { totalFromItems?: boolean } = {}): CreatedRun {
  const options = parseOptions(runOptionsSchema, input, what);
  const run = new Run({
    descriptor: {
      id: options.id ?? randomUUID(),
      name: options.name,
      operation: options.operation ?? slug(options.name),
      category: options.category,
      service: options.service,
      total: options.total,
      metadata: options.metadata,
    },
    clock: options.clock ?? systemClock,
    problems: new Problems(diagSink),
    etaMethod: options.eta,
    totalFromItems: extra.totalFromItems ?? false,
  });
  const telemetry = new RunTelemetry(run, options.telemetry);
  run.addListener(telemetry);
  if (options.alerts.enabled) run.addListener(new AlertEvaluator(run, options.alerts));
  (options.registry ?? defaultRegistry).add(run);
  attachDisplay(run, options);
  return { run, telemetry, options };
}
