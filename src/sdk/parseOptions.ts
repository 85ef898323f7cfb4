import type { z } from 'zod';
import { describeValue, isObject } from '../core/check.js';

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((value, key) => (isObject(value) ? value[key as string] : undefined), input);

/** The SDK layer's zod schemas, with the same message as the instrumentation entry's `parseOptions`. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `${issue.path.join('.')}.` : '';
      return issue.keys.map((key) => `unknown option \`${where}${key}\``).join('; ');
    }
    const field = issue.path.join('.') || '(options)';
    return `\`${field}\`: ${issue.message}, got ${describeValue(valueAt(input, issue.path))}`;
  });
  throw new TypeError(`batchtel: invalid ${what}: ${problems.join('; ')}`);
}
