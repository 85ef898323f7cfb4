import { describeValue, isObject, type Issue, type Output, type Schema, type StrictObject } from './check.js';

/**
 * Options checked at construction, for every surface (runs, process(), events,
 * the file-progress tracker): one readable error naming each bad field, what it
 * expects and what it got, and where a known option given in the wrong place belongs.
 */

type AnyObjectSchema = StrictObject<Record<string, Schema<unknown, unknown>>>;

/** Where each option lives, to point at the right place when one is given in the wrong one; lower `rank` is named first. */
const places: Array<{ readonly schema: AnyObjectSchema; readonly where: string; readonly rank: number }> = [];

/**
 * Lets a surface's options take part in "belongs in" hints. `rank` orders the
 * hints when an option lives in several places (the run's own options rank 0).
 */
export function registerOptionsPlace(schema: AnyObjectSchema, where: string, rank = 1): void {
  places.push({ schema, where, rank });
  places.sort((a, b) => a.rank - b.rank);
}

const valueAt = (input: unknown, path: readonly string[]): unknown => path.reduce<unknown>((value, key) => (isObject(value) ? value[key] : undefined), input);

/** Edit distance up to 2, for "did you mean" on a misspelt option. */
function near(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
    previous = row;
  }
  return previous[b.length]! <= 2;
}

function unknownOption(issue: Issue): string {
  const key = issue.unknownKey!;
  const field = [...issue.path, key].join('.');
  const home = places.find(({ schema }) => schema !== issue.owner && Object.hasOwn(schema.shape, key));
  if (home) return `unknown option \`${field}\` here: it belongs in ${home.where}`;
  const close = issue.owner ? Object.keys(issue.owner.shape).filter((name) => near(key, name)) : [];
  const where = issue.path.length ? `\`${issue.path.join('.')}\` takes` : 'known options are';
  const known = issue.owner ? Object.keys(issue.owner.shape).join(', ') : '';
  return close.length
    ? `unknown option \`${field}\`: did you mean \`${[...issue.path, close[0]].join('.')}\`?`
    : `unknown option \`${field}\` (${where} ${known})`;
}

/** Validates, or throws one readable error naming each bad field, what it expects and what it got. */
export function parseOptions<S extends Schema<unknown, unknown>>(schema: S, input: unknown, what: string): Output<S> {
  const issues: Issue[] = [];
  const parsed = schema.check(input ?? {}, [], issues);
  if (issues.length === 0) return parsed as Output<S>;
  const problems = issues.map((issue) => {
    if (issue.unknownKey !== undefined) return unknownOption(issue);
    const field = issue.path.join('.') || '(options)';
    return `\`${field}\`: ${issue.message}, got ${describeValue(issue.path.length ? valueAt(input, issue.path) : input)}`;
  });
  throw new TypeError(`batchtel: invalid ${what}: ${problems.join('; ')}`);
}
