import type { z } from 'zod';
import { describeValue } from '../core/check.js';
import { LIMITS, truncate } from './limits.js';

/** One problem with a request: the field, what was wrong, and (for bad values) what was expected and received. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
  readonly code: string;
  readonly expected?: string;
  readonly received?: string;
}

/** The control API's error body. */
export interface ErrorBody {
  readonly success: false;
  readonly error: string;
  readonly details: { readonly errors: readonly ErrorDetail[] };
}

/** A failure with its HTTP status; the handler turns it into an {@link ErrorBody}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: readonly ErrorDetail[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The body, every text cut to {@link LIMITS.errorText}: a client never gets back more than a bounded echo. */
  body(): ErrorBody {
    const cut = (text: string) => truncate(text, LIMITS.errorText);
    const errors = this.errors.slice(0, LIMITS.errorDetails).map((e) => ({
      path: cut(e.path),
      message: cut(e.message),
      code: e.code,
      // Left undefined when unknown: JSON.stringify leaves the key out of the response.
      expected: e.expected === undefined ? undefined : cut(e.expected),
      received: e.received === undefined ? undefined : cut(e.received),
    }));
    return { success: false, error: cut(this.message), details: { errors } };
  }
}

/** A value as an API error shows it: JSON, shortened to 80 characters, without its type; `nothing` when absent. */
export function describeReceived(value: unknown): string {
  return value === undefined ? 'nothing' : describeValue(value, { max: 80, withType: false });
}

/**
 * A 400 naming each bad field (`where` prefixes the path: `query`, `body`),
 * what was expected and what was received. An unknown field that the schema
 * knows elsewhere says where it belongs (`chunkSize` belongs under `options`).
 */
export function validationError(error: z.ZodError, where: string, schema?: z.ZodType): HttpError {
  const errors = error.issues.flatMap((issue): ErrorDetail[] => {
    const path = issue.path.map(String);
    const base = [where, ...path].join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = schema ? Object.keys(objectAt(schema, path)?.shape ?? {}) : [];
      const input = (issue.input ?? {}) as Record<string, unknown>;
      return issue.keys.map((key) => {
        const home = schema ? locate(schema, key, path) : undefined;
        const field = `\`${truncate(key, 40)}\``;
        const hint = home === undefined ? undefined : `${field} belongs ${home.length === 0 ? 'at the top level' : `under \`${home.join('.')}\``}`;
        const expected = known.length > 0 ? `one of the fields ${known.join(', ')}` : 'no other fields';
        const received = describeReceived(input[key]);
        return {
          path: `${base}.${truncate(key, 60)}`,
          message: `unknown field ${field} (received ${received}): ${hint ?? `expected ${expected}`}`,
          code: issue.code,
          expected: hint ?? expected,
          received,
        };
      });
    }
    const received = describeReceived(issue.input);
    const params = issue.code === 'custom' ? (issue.params as { code?: string; expected?: string } | undefined) : undefined;
    if (params?.code)
      return [
        {
          path: base,
          message: `${issue.message} (received ${received})`,
          code: params.code,
          ...(params.expected ? { expected: params.expected } : {}),
          received,
        },
      ];
    const expected = expectedOf(issue);
    return [
      {
        path: base,
        message: expected ? `expected ${expected}, received ${received}` : `${issue.message}, received ${received}`,
        code: issue.code,
        ...(expected ? { expected } : {}),
        received,
      },
    ];
  });
  const first = errors[0];
  const summary = first ? `: ${first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}` : '';
  return new HttpError(400, `invalid request ${where}${summary}`, errors);
}

function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      if (issue.origin === 'string') return `${word} ${String(bound)} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `${word} ${String(bound)} items`;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      return `a number ${op} ${String(bound)}`;
    }
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'datetime' ? 'an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' : `a string in the ${issue.format} format`;
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    default:
      return undefined;
  }
}

type Shape = Record<string, z.ZodType>;

/** The object schema under wrappers (default, optional, pipe), or undefined. */
function unwrapObject(schema: z.ZodType | undefined): { shape: Shape } | undefined {
  let current: unknown = schema;
  for (let depth = 0; current && depth < 8; depth++) {
    const s = current as { shape?: Shape; def?: { innerType?: unknown; in?: unknown } };
    if (s.shape && typeof s.shape === 'object') return { shape: s.shape };
    current = s.def?.innerType ?? s.def?.in;
  }
  return undefined;
}

function objectAt(schema: z.ZodType, path: readonly string[]): { shape: Shape } | undefined {
  let object = unwrapObject(schema);
  for (const key of path) object = unwrapObject(object?.shape[key]);
  return object;
}

/** Where else in `schema` a field called `key` is known (not at `except`), as a path; undefined when nowhere. */
function locate(schema: z.ZodType, key: string, except: readonly string[]): string[] | undefined {
  const walk = (object: { shape: Shape } | undefined, path: string[], depth: number): string[] | undefined => {
    if (!object || depth > 4) return undefined;
    if (Object.hasOwn(object.shape, key) && path.join('.') !== except.join('.')) return path;
    for (const [name, child] of Object.entries(object.shape)) {
      const found = walk(unwrapObject(child), [...path, name], depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(unwrapObject(schema), [], 0);
}
