/**
 * The few option checks the instrumentation entry needs, written out: a schema
 * library would cost the `batchtel` import more than the OpenTelemetry API
 * itself (zod and zod/mini alike load its whole core). Each schema knows what it
 * expects, so every error says the field, what was expected and what came.
 */

export interface Issue {
  readonly path: readonly string[];
  /** "expected …"; the caller adds what was received. */
  readonly message: string;
  /** Set for keys a strict object does not know, with that object. */
  readonly unknownKey?: string;
  readonly owner?: StrictObject<Shape>;
}

type Mode = 'in' | 'out';

export abstract class Schema<Out, In = Out> {
  declare readonly out: Out;
  declare readonly in: In;
  /** Returns the parsed value; pushes issues for what does not fit. */
  abstract check(value: unknown, path: readonly string[], issues: Issue[]): Out;

  /** Parses or throws the first problem; `parseOptions` is the readable form for users. */
  parse(value: unknown): Out {
    const issues: Issue[] = [];
    const parsed = this.check(value, [], issues);
    if (issues[0]) throw new TypeError(`\`${[...issues[0].path, issues[0].unknownKey ?? ''].filter(Boolean).join('.')}\`: ${issues[0].message}`);
    return parsed;
  }

  optional(): Schema<Out | undefined, In | undefined> {
    return new Optional(this);
  }

  default(value: Out | (() => Out)): Schema<Out, In | undefined> {
    return new Default(this, value);
  }

  /** An extra rule: `rule` returns "expected …"-style text when the value breaks it. */
  refine(rule: (value: Out) => string | undefined): Schema<Out, In> {
    return new Refined(this, rule);
  }
}

export type Output<S extends Schema<unknown, unknown>> = S['out'];
export type Input<S extends Schema<unknown, unknown>> = S['in'];

export class Optional<Out, In> extends Schema<Out | undefined, In | undefined> {
  constructor(readonly inner: Schema<Out, In>) {
    super();
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): Out | undefined {
    return value === undefined ? undefined : this.inner.check(value, path, issues);
  }
}

export class Default<Out, In> extends Schema<Out, In | undefined> {
  constructor(
    readonly inner: Schema<Out, In>,
    private readonly fallback: Out | (() => Out),
  ) {
    super();
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): Out {
    if (value !== undefined) return this.inner.check(value, path, issues);
    return typeof this.fallback === 'function' ? (this.fallback as () => Out)() : this.fallback;
  }
}

export class Refined<Out, In> extends Schema<Out, In> {
  constructor(
    private readonly inner: Schema<Out, In>,
    private readonly rule: (value: Out) => string | undefined,
  ) {
    super();
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): Out {
    const before = issues.length;
    const parsed = this.inner.check(value, path, issues);
    if (issues.length === before) {
      const message = this.rule(parsed);
      if (message !== undefined) issues.push({ path, message });
    }
    return parsed;
  }
}

interface NumberRules {
  readonly int: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound. */
  readonly gt?: number;
}

export class NumberSchema extends Schema<number> {
  constructor(private readonly rules: NumberRules = { int: false }) {
    super();
  }
  int(): NumberSchema {
    return new NumberSchema({ ...this.rules, int: true });
  }
  min(min: number): NumberSchema {
    return new NumberSchema({ ...this.rules, min });
  }
  max(max: number): NumberSchema {
    return new NumberSchema({ ...this.rules, max });
  }
  gt(gt: number): NumberSchema {
    return new NumberSchema({ ...this.rules, gt });
  }
  /** "an integer from 1 to 100", "a number > 0", … */
  expected(): string {
    const { int, min, max, gt } = this.rules;
    const kind = int ? 'an integer' : 'a number';
    if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
    const bounds = [gt !== undefined ? `> ${gt}` : min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : ''].filter(Boolean);
    return bounds.length ? `${kind} ${bounds.join(' and ')}` : kind;
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): number {
    const { int, min, max, gt } = this.rules;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!int || Number.isInteger(value)) &&
      (min === undefined || value >= min) &&
      (max === undefined || value <= max) &&
      (gt === undefined || value > gt);
    if (!ok) issues.push({ path, message: `expected ${this.expected()}` });
    return value as number;
  }
}

export class StringSchema extends Schema<string> {
  constructor(
    private readonly range: { readonly min: number; readonly max: number } = { min: 0, max: Infinity },
    private readonly pattern?: { readonly regex: RegExp; readonly message: string },
  ) {
    super();
  }
  min(min: number): StringSchema {
    return new StringSchema({ ...this.range, min }, this.pattern);
  }
  max(max: number): StringSchema {
    return new StringSchema({ ...this.range, max }, this.pattern);
  }
  regex(regex: RegExp, message: string): StringSchema {
    return new StringSchema(this.range, { regex, message });
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): string {
    const { min, max } = this.range;
    if (typeof value !== 'string' || value.length < min || value.length > max) {
      const length =
        min === 1 && max === Infinity
          ? 'a non-empty string'
          : max === Infinity
            ? min > 0
              ? `a string of at least ${min} characters`
              : 'a string'
            : `a string of ${min}-${max} characters`;
      issues.push({ path, message: `expected ${length}` });
    } else if (this.pattern && !this.pattern.regex.test(value)) {
      issues.push({ path, message: this.pattern.message });
    }
    return value as string;
  }
}

export class BooleanSchema extends Schema<boolean> {
  check(value: unknown, path: readonly string[], issues: Issue[]): boolean {
    if (typeof value !== 'boolean') issues.push({ path, message: 'expected true or false' });
    return value as boolean;
  }
}

export class EnumSchema<T extends string> extends Schema<T> {
  constructor(private readonly values: readonly T[]) {
    super();
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): T {
    if (!this.values.includes(value as T)) issues.push({ path, message: `expected one of ${this.values.map((v) => JSON.stringify(v)).join(', ')}` });
    return value as T;
  }
}

export class CustomSchema<T> extends Schema<T> {
  constructor(
    private readonly test: (value: unknown) => boolean,
    private readonly message: string,
  ) {
    super();
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): T {
    if (!this.test(value)) issues.push({ path, message: this.message });
    return value as T;
  }
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isPlainObject = (value: unknown): value is Record<string, unknown> => isObject(value) && !Array.isArray(value);

export class RecordSchema<Out, In> extends Schema<Record<string, Out>, Record<string, In>> {
  constructor(
    private readonly values: Schema<Out, In>,
    private readonly message: string,
  ) {
    super();
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): Record<string, Out> {
    if (!isPlainObject(value)) {
      issues.push({ path, message: this.message });
      return {};
    }
    const out: Record<string, Out> = {};
    for (const [key, entry] of Object.entries(value)) out[key] = this.values.check(entry, [...path, key], issues);
    return out;
  }
}

type Shape = Record<string, Schema<unknown, unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<S extends Shape, M extends Mode> = { [K in keyof S]: undefined extends S[K][M] ? K : never }[keyof S];
type ObjectOf<S extends Shape, M extends Mode> = Simplify<{ [K in Exclude<keyof S, OptionalKeys<S, M>>]: S[K][M] } & { [K in OptionalKeys<S, M>]?: S[K][M] }>;

/** An object that accepts only the keys it names. */
export class StrictObject<S extends Shape> extends Schema<ObjectOf<S, 'out'>, ObjectOf<S, 'in'>> {
  constructor(readonly shape: S) {
    super();
  }
  check(value: unknown, path: readonly string[], issues: Issue[]): ObjectOf<S, 'out'> {
    if (!isPlainObject(value)) {
      issues.push({ path, message: 'expected an object' });
      return {} as ObjectOf<S, 'out'>;
    }
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(this.shape)) {
      const parsed = schema.check(value[key], [...path, key], issues);
      if (parsed !== undefined) out[key] = parsed;
    }
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(this.shape, key)) issues.push({ path, message: 'unknown option', unknownKey: key, owner: this as unknown as StrictObject<Shape> });
    }
    return out as ObjectOf<S, 'out'>;
  }
}

export const v = {
  number: () => new NumberSchema(),
  string: () => new StringSchema(),
  boolean: () => new BooleanSchema(),
  enum: <const T extends string>(values: readonly T[]) => new EnumSchema<T>(values),
  custom: <T>(test: (value: unknown) => boolean, message: string): Schema<T> => new CustomSchema<T>(test, message),
  record: <Out, In>(values: Schema<Out, In>, message = 'expected an object') => new RecordSchema(values, message),
  strictObject: <S extends Shape>(shape: S) => new StrictObject(shape),
};

/** An OpenTelemetry provider option: any object with the `method` that hands out tracers, meters or loggers. */
export const providerSchema = <T>(method: string): Schema<T> =>
  v.custom<T>((value) => isObject(value) && typeof value[method] === 'function', `expected an OpenTelemetry provider with ${method}()`);

/**
 * What was received, briefly, for an error message: `undefined`, `"abc" (string)`,
 * `0 (number)`, `a function`; JSON cut to `max` characters, the type left out when
 * `withType` is false. Never throws, whatever the value (a hostile Proxy included).
 */
export function describeValue(value: unknown, { max = 60, withType = true }: { readonly max?: number; readonly withType?: boolean } = {}): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  let shown: string;
  let type: string = value === null ? 'null' : typeof value;
  try {
    if (Array.isArray(value)) type = 'array';
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    try {
      shown = String(value);
    } catch {
      shown = '[unprintable]';
    }
  }
  if (shown.length > max) shown = `${shown.slice(0, max - 3)}...`;
  return withType ? `${shown} (${type})` : shown;
}
