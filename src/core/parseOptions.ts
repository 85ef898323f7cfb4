import { z } from 'zod';
import { isObject } from './isObject.js';

/**
 * Options checked at construction, for every surface (runs, events, the SDK):
 * a wrong option throws one message naming the field, what was expected and
 * what was given.
 */

/** An OpenTelemetry provider, recognised by its factory method. */
export const providerSchema = <T>(method: string) =>
  z.custom<T>((value) => isObject(value) && typeof value[method] === 'function', {
    message: `expected an OpenTelemetry provider with ${method}()`,
  });

/** A received option as an error shows it: JSON, shortened, with its type. */
export const describeOption = (value: unknown): string => {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return `${shown} (${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value})`;
};

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((value, key) => (isObject(value) ? value[key as string] : undefined), input);

/** Validates, or throws one readable error naming each bad field. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `${issue.path.join('.')}.` : '';
      return issue.keys.map((key) => `unknown option \`${where}${key}\``).join('; ');
    }
    const field = issue.path.join('.') || '(options)';
    return `\`${field}\`: ${issue.message}, got ${describeOption(valueAt(input, issue.path))}`;
  });
  throw new TypeError(`batchtel: invalid ${what}: ${problems.join('; ')}`);
}
