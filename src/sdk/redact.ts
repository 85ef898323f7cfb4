/**
 * Secrets never leave the process: values are masked before export. Covers
 * bearer tokens, credentials in URLs (`user:pass@`), secret-looking query and
 * key=value parameters, and attributes whose key names a secret.
 */
export const REDACTED = '[REDACTED]';

/** Attribute keys masked whole by default (matched by their words, whatever the case and separators). */
export const DEFAULT_SECRET_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwd',
  'secret',
  'token',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'access_token',
  'refresh_token',
  'client_secret',
  'private_key',
];

/**
 * Names that hold a secret, as words: a name is split into lower-case words at
 * dots, `_`, `-` and camelCase humps (`dbPassword`, `db_password`,
 * `DB-PASSWORD` are all `db password`) and is a secret when it ends in one of
 * these, or has `secret` as a word anywhere (`AWS_SECRET_ACCESS_KEY`).
 */
const SECRET_ENDINGS: ReadonlyArray<readonly string[]> = [
  ['token'],
  ['password'],
  ['passwd'],
  ['pwd'],
  ['secret'],
  ['signature'],
  ['sig'],
  ['credential'],
  ['credentials'],
  ['authorization'],
  ['cookie'],
  ['apikey'],
  ['api', 'key'],
  ['private', 'key'],
  ['access', 'key'],
  ['sessionid'],
  ['session', 'id'],
];

/** `dbPassword` → ['db', 'password']; `X-Amz-Security-Token` → ['x', 'amz', 'security', 'token']; `HTTPHeader` → ['http', 'header']. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s._-]+/)
    .filter((w) => w.length > 0);
}

function wordsNameSecret(words: readonly string[]): boolean {
  if (words.includes('secret')) return true;
  return SECRET_ENDINGS.some((ending) => ending.length <= words.length && ending.every((w, i) => words[words.length - ending.length + i] === w));
}

// Every pattern below is linear in the input: each either starts only at a
// boundary its first character cannot continue (so a long run of letters and
// digits is scanned once, not once per start position) or begins with a
// literal; runs are matched whole, never backtracked into (`(?=(x+))\1` is an
// atomic group: a 10 MB run costs no backtracking stack).
/** `Bearer xxx`, `Basic xxx`, `Token xxx`: the scheme is kept. */
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]+=*/gi;
/** `scheme://user:password@host` (a scheme never starts inside a word: the look-behind keeps this linear). */
const URL_CREDENTIALS = /(?<![a-z0-9+.-])((?=([a-z][a-z0-9+.-]*))\2:\/\/(?=([^\s:/@]+))\3):(?=([^\s@/]+))\4@/gi;
/** `user:password@host` with no scheme, as a word of its own (`GET user:pw@db:5432`). */
const BARE_CREDENTIALS = /(^|[\s"'(<,;=])(?=([A-Za-z0-9._%+-]+))\2:(?=([^\s@/:"'<>]+))\3@(?=[A-Za-z0-9[])/g;
/** A `name=value` / `name: value` / `"name": "value"` name, after a delimiter; its value is found separately. */
const PARAM_NAME = /(?:[?&;\s"'{,(]|^)(?=([A-Za-z][A-Za-z0-9_.-]*))\1["']?\s*[=:]/g;
const PARAM_GAP = /\s*["']?/y;
const PARAM_VALUE = /[^\s&;"',}]+/y;
/** A value that starts with an auth scheme was masked above and keeps its scheme. */
const SCHEME_VALUE = /(?:Bearer|Basic|Token)\s/iy;

const MAY_HOLD_SECRET = /[=:]|bearer|basic|token/i;

/** Nested maps and lists (log bodies and attributes may hold them) are walked this deep; deeper values are masked whole. */
const MAX_DEPTH = 8;

/** Masks secrets in text, attribute values and nested values; made by `createRedactor`. */
export interface Redactor {
  /** Masks secrets inside free text. */
  text(value: string): string;
  /** True when an attribute with this key must be masked whole. */
  isSecretKey(key: string): boolean;
  /**
   * A value as it may leave the process: masked whole when its key names a
   * secret, else its strings masked, nested lists and maps (log bodies and
   * attributes) walked. Returns the value itself when nothing needed masking.
   */
  value(key: string, value: unknown): unknown;
}

/**
 * A redactor for the built-in secret shapes plus `extraKeys` (attribute keys always masked).
 *
 * @example
 * ```ts
 * import { createRedactor } from 'batchtel/sdk';
 *
 * const redactor = createRedactor(['x-customer-key']);
 * redactor.text('GET https://user:hunter2@api.example.com/?token=abc'); // credentials and token masked
 * ```
 */
export function createRedactor(extraKeys: readonly string[] = []): Redactor {
  const keys = new Set([...DEFAULT_SECRET_KEYS, ...extraKeys].map((k) => k.toLowerCase()));
  const extraWords = new Set(extraKeys.map((k) => nameWords(k).join(' ')));
  // Names are few and repeat on every record: decide each once.
  const decided = new Map<string, boolean>();
  const isSecretName = (name: string, dotted: boolean): boolean => {
    let secret = decided.get(name);
    if (secret === undefined) {
      const lower = name.toLowerCase();
      // Dotted attribute names: `http.request.header.authorization`, `db.password`; the last part decides.
      const last = dotted ? lower.split('.').pop()! : lower;
      const words = nameWords(dotted ? name.split('.').pop()! : name);
      secret = keys.has(lower) || keys.has(last) || extraWords.has(nameWords(name).join(' ')) || wordsNameSecret(words);
      if (decided.size < 10_000) decided.set(name, secret);
    }
    return secret;
  };
  const isSecretKey = (key: string) => isSecretName(key, true);
  /** Values of secret-named parameters masked; one pass, each character looked at a bounded number of times. */
  const params = (value: string): string => {
    let out = '';
    let copied = 0;
    PARAM_NAME.lastIndex = 0;
    for (let m = PARAM_NAME.exec(value); m !== null; m = PARAM_NAME.exec(value)) {
      const name = m[1]!;
      PARAM_GAP.lastIndex = PARAM_NAME.lastIndex;
      PARAM_GAP.test(value);
      const at = PARAM_GAP.lastIndex;
      // A bare `key` is a secret only alone (`cache_key` is not one).
      if (!(name.toLowerCase() === 'key' || isSecretName(name, false))) continue;
      SCHEME_VALUE.lastIndex = at;
      if (SCHEME_VALUE.test(value)) continue;
      PARAM_VALUE.lastIndex = at;
      if (!PARAM_VALUE.test(value)) continue;
      out += value.slice(copied, at) + REDACTED;
      copied = PARAM_VALUE.lastIndex;
      PARAM_NAME.lastIndex = copied;
    }
    return copied === 0 ? value : out + value.slice(copied);
  };
  const text = (value: string): string => {
    // Every pattern needs one of these; most values have none.
    if (!MAY_HOLD_SECRET.test(value)) return value;
    let out = value.replace(AUTH_SCHEME, `$1 ${REDACTED}`);
    if (out.includes('@')) out = out.replace(URL_CREDENTIALS, `$1:${REDACTED}@`).replace(BARE_CREDENTIALS, `$1$2:${REDACTED}@`);
    return params(out);
  };
  /** Strings masked, lists and maps walked (keys decide too); the same object back when nothing changed. */
  const maskValue = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
    if (depth >= MAX_DEPTH) return REDACTED;
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const masked = maskValue(v[i], depth + 1);
        if (masked === v[i]) continue;
        out ??= v.slice();
        out[i] = masked;
      }
      return out ?? v;
    }
    let out: Record<string, unknown> | undefined;
    for (const [k, item] of Object.entries(v)) {
      const masked = isSecretKey(k) ? REDACTED : maskValue(item, depth + 1);
      if (masked === item) continue;
      out ??= { ...v };
      out[k] = masked;
    }
    return out ?? v;
  };
  const value = (key: string, v: unknown): unknown => (isSecretKey(key) ? REDACTED : maskValue(v, 0));
  return { text, isSecretKey, value };
}
