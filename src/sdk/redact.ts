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

const SECRET_PARAM = '(?:access_token|refresh_token|id_token|token|api[_-]?key|apikey|password|passwd|secret|client_secret|signature|sig|key)';

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // Authorization: Bearer xxx / Basic xxx
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  // scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, `$1:${REDACTED}@`],
  // ?token=…, &api_key=…, api_key=…, "password": "…"
  [new RegExp(`([?&;\\s"'{,]|^)(${SECRET_PARAM})(["']?\\s*[=:]\\s*["']?)[^\\s&;"',}]+`, 'gi'), `$1$2$3${REDACTED}`],
];

export interface Redactor {
  /** Masks secrets inside free text. */
  text(value: string): string;
  /** True when an attribute with this key must be masked whole. */
  isSecretKey(key: string): boolean;
  /** A value as it may leave the process. */
  value(key: string, value: unknown): unknown;
}

export function createRedactor(extraKeys: readonly string[] = []): Redactor {
  const keys = new Set([...DEFAULT_SECRET_KEYS, ...extraKeys].map((k) => k.toLowerCase()));
  const isSecretKey = (key: string): boolean => {
    const lower = key.toLowerCase();
    if (keys.has(lower)) return true;
    // Dotted attribute names: `http.request.header.authorization`, `db.password`.
    const last = lower.split(/[.]/).pop()!;
    return keys.has(last);
  };
  const text = (value: string): string => {
    let out = value;
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
  const value = (key: string, v: unknown): unknown => {
    if (isSecretKey(key)) return REDACTED;
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map((item) => (typeof item === 'string' ? text(item) : item));
    return v;
  };
  return { text, isSecretKey, value };
}
