import { randomUUID } from 'node:crypto';
import { systemClock } from '../core/clock.js';
import { AlertEvaluator } from '../core/alerts/AlertEvaluator.js';
import { LIMITS, safeText } from '../core/limits.js';
import { Problems } from '../core/problems.js';
import { Run } from '../core/Run.js';
import { defaultRegistry } from '../core/RunRegistry.js';
import { diagSink } from '../instrument/diagSink.js';
import { RunTelemetry } from '../instrument/RunTelemetry.js';
import { attachDisplay } from '../progress/attachDisplay.js';
import { parseOptions } from '../core/parseOptions.js';
import { runOptionsSchema, type RunOptions, type RunOptionsInput } from './options.js';

export interface CreatedRun {
  readonly run: Run;
  readonly telemetry: RunTelemetry;
  readonly options: RunOptions;
}

/**
 * Turns free text into a low-cardinality identifier: "Sync Users!" → "sync_users".
 * What could be a secret never reaches it: URL user info, query strings and
 * fragments, `key=value` pairs whose key names a secret, and token-like words
 * (long mixes of letters and digits, long hex or base64 runs) are dropped first.
 */
export function slug(name: string): string {
  const s = redactForIdentifier(name)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64)
    .replace(/_+$/, '');
  return s.length > 0 ? s : 'batch';
}

const SECRET_KEY = /(?:pass(?:word|wd)?|pwd|secret|token|api[-_]?key|key|auth\w*|credential\w*|session|sig(?:nature)?|bearer|cookie)/i;

function redactForIdentifier(name: string): string {
  return (
    name
      .slice(0, 1024)
      // scheme://user:password@host → host (also user@host without a scheme)
      .replace(/([a-z][a-z0-9+.-]*:\/\/)?[^\s/@:]+(?::[^\s/@]*)?@(?=[^\s@])/gi, '')
      // query strings and fragments
      .replace(/[?#]\S*/g, '')
      // secret-looking key=value or key: value pairs: both go
      .replace(/\b([\w.-]+)\s*[=:]\s*\S+/g, (pair, key: string) => (SECRET_KEY.test(key) ? '' : pair))
      // "Bearer xyz", "Basic xyz": an authorization scheme and its credentials
      .replace(/\b(?:bearer|basic)\s+\S+/gi, '')
      // token-like words: 16+ characters mixing letters and digits, or long hex / base64 runs
      .replace(/[A-Za-z0-9_+/=-]{16,}/g, (word) => (/[0-9]/.test(word) && /[A-Za-z]/.test(word) ? '' : word))
  );
}

/** Metadata within the documented limits: at most LIMITS.metadataEntries entries, keys and string values cut. */
function boundedMetadata(metadata: Readonly<Record<string, string | number | boolean>>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  let entries = 0;
  for (const [key, value] of Object.entries(metadata)) {
    if (entries++ >= LIMITS.metadataEntries) break;
    out[safeText(key, LIMITS.metadataKey)] = typeof value === 'string' ? safeText(value, LIMITS.metadataValue) : value;
  }
  return out;
}

/** The one place a run is assembled: validated options, core run, telemetry, registry. */
export function createRun(input: RunOptionsInput, what = 'batch options', extra: { totalFromItems?: boolean } = {}): CreatedRun {
  const options = parseOptions(runOptionsSchema, input, what);
  const run = new Run({
    descriptor: {
      id: options.id ?? randomUUID(),
      name: safeText(options.name, LIMITS.name),
      operation: options.operation ?? slug(options.name),
      category: options.category,
      service: options.service,
      total: options.total,
      metadata: boundedMetadata(options.metadata),
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
