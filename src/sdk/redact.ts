/**
 * Secrets never leave the process: values are masked before export. Covers
 * bearer tokens, credentials in URLs (`user:pass@`), secret-looking query and
 * key=value parameters, and attributes whose key names a secret.
 */
export const REDACTED = '[REDACTED]';

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

/** Words that name a secret, also at the end of a longer name: `x-api-key`, `auth_token`, `X-Amz-Signature`, `X-Amz-Security-Token`. */
const SECRET_WORD = '(?:token|api[_-]?key|apikey|password|passwd|secret|signature|credentials?|sig|authorization)';
/** A key=value or key: value name whose value is a secret; a bare `key` only alone (`cache_key` is not one). */
const SECRET_PARAM = `(?:(?:[a-z0-9]+[_-])*${SECRET_WORD}|key)`;

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Authorization: Bearer xxx / Basic xxx
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  // scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, `$1:${REDACTED}@`],
  // ?token=…, &api_key=…, api_key=…, "password": "…"
  // (a value that starts with an auth scheme was masked above and keeps its scheme)
  [new RegExp(`([?&;\\s"'{,]|^)(${SECRET_PARAM})(["']?\\s*[=:]\\s*["']?)(?!(?:Bearer|Basic|Token)\\s)[^\\s&;"',}]+`, 'gi'), `$1$2$3${REDACTED}`],
];

const MAY_HOLD_SECRET = /[=:]|bearer|basic|token/i;

/** An attribute key's last part that names a secret though not listed: `x-auth-token`, `secret_access_key`, `db_password`. */
const SECRET_KEY_PART = /(?:^|[_-])(?:(?:token|password|passwd|api[_-]?key|apikey|credentials?|authorization|cookie)$|secret(?:$|[_-]))/i;

/** Nested maps and lists (log bodies and attributes may hold them) are walked this deep; deeper values are masked whole. */
const MAX_DEPTH = 8;

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

export function createRedactor(extraKeys: readonly string[] = []): Redactor {
  const keys = new Set([...DEFAULT_SECRET_KEYS, ...extraKeys].map((k) => k.toLowerCase()));
  // Attribute keys are few and repeat on every record: decide each once.
  const decided = new Map<string, boolean>();
  const isSecretKey = (key: string): boolean => {
    let secret = decided.get(key);
    if (secret === undefined) {
      const lower = key.toLowerCase();
      // Dotted attribute names: `http.request.header.authorization`, `db.password`.
      const last = lower.split(/[.]/).pop()!;
      secret = keys.has(lower) || keys.has(last) || SECRET_KEY_PART.test(last);
      if (decided.size < 10_000) decided.set(key, secret);
    }
    return secret;
  };
  const text = (value: string): string => {
    // Every pattern needs one of these; most values have none.
    if (!MAY_HOLD_SECRET.test(value)) return value;
    let out = value;
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
  /** Strings masked, lists and maps walked (keys decide too); the same object back when nothing changed. */
  const any = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
    if (depth >= MAX_DEPTH) return REDACTED;
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const masked = any(v[i], depth + 1);
        if (masked === v[i]) continue;
        out ??= v.slice();
        out[i] = masked;
      }
      return out ?? v;
    }
    let out: Record<string, unknown> | undefined;
    for (const [k, item] of Object.entries(v)) {
      const masked = isSecretKey(k) ? REDACTED : any(item, depth + 1);
      if (masked === item) continue;
      out ??= { ...v };
      out[k] = masked;
    }
    return out ?? v;
  };
  const value = (key: string, v: unknown): unknown => (isSecretKey(key) ? REDACTED : any(v, 0));
  return { text, isSecretKey, value };
}
