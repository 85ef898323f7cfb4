import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../../../src/sdk/redact.js';

const r = createRedactor(['customer.ssn']);
const CANARY = 'canary-s3cr3t-7f3a';

describe('redaction', () => {
  it.each([
    [`Authorization: Bearer ${CANARY}`],
    [`GET https://user:${CANARY}@api.example.com/v1`],
    [`https://api.example.com/v1/items?token=${CANARY}&page=2`],
    [`request failed: api_key=${CANARY}`],
    [`{"password": "${CANARY}"}`],
    [`apikey: ${CANARY}`],
    [`Error: 401 for https://x.test/?access_token=${CANARY}\n    at fetch (node:internal)`],
    // Names that end in a secret word.
    [`x-api-key: ${CANARY}`],
    [`{"x-api-key": "${CANARY}"}`],
    [`X-Auth-Token: ${CANARY}`],
    [`https://x.test/cb?auth_token=${CANARY}`],
    [`db_password=${CANARY}`],
    [`https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA${CANARY}&X-Amz-Signature=${CANARY}`],
    [`https://b.s3.amazonaws.com/k?X-Amz-Security-Token=${CANARY}&X-Amz-Expires=60`],
    // An authorization value with no scheme.
    [`authorization=${CANARY}`],
  ])('masks the secret in %s', (text) => {
    const out = r.text(text);
    expect(out).not.toContain(CANARY);
    expect(out).toContain(REDACTED);
  });

  it('keeps the auth scheme and what is not a secret', () => {
    expect(r.text(`Authorization: Bearer ${CANARY}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(r.text(`https://x.test/k?X-Amz-Signature=${CANARY}&X-Amz-Expires=60`)).toBe(`https://x.test/k?X-Amz-Signature=${REDACTED}&X-Amz-Expires=60`);
    expect(r.text('cache_key=user:1 partition_key=7')).toBe('cache_key=user:1 partition_key=7');
  });

  it('keeps ordinary text and URLs intact', () => {
    expect(r.text('GET https://api.example.com/v1/items?page=2 took 120 ms')).toBe('GET https://api.example.com/v1/items?page=2 took 120 ms');
    expect(r.text('tokens used: 1200')).toBe('tokens used: 1200');
  });

  it('masks attributes whose key names a secret, including configured keys and dotted names', () => {
    expect(r.value('http.request.header.authorization', 'Basic abc')).toBe(REDACTED);
    expect(r.value('db.password', 'x')).toBe(REDACTED);
    expect(r.value('customer.ssn', '123')).toBe(REDACTED);
    expect(r.value('batch.name', 'Sync users')).toBe('Sync users');
    expect(r.value('url.full', [`https://u:${CANARY}@h/`])).toEqual([`https://u:${REDACTED}@h/`]);
  });

  it('masks attributes whose key ends in a secret word, and leaves counts of tokens alone', () => {
    expect(r.value('http.request.header.x-auth-token', [CANARY])).toBe(REDACTED);
    expect(r.value('aws.secret_access_key', CANARY)).toBe(REDACTED);
    expect(r.value('app.db_password', CANARY)).toBe(REDACTED);
    expect(r.value('gen_ai.usage.input_tokens', 1200)).toBe(1200);
    expect(r.value('messaging.kafka.message.key', 'order-7')).toBe('order-7');
    expect(r.value('secretary.name', 'Ada')).toBe('Ada');
  });

  it('walks nested maps and lists (structured log bodies and attributes)', () => {
    const body = {
      message: `calling https://u:${CANARY}@h/`,
      request: { headers: { authorization: `Bearer ${CANARY}` }, tries: 3 },
      tags: ['a', `token=${CANARY}`],
    };
    const masked = r.value('body', body);
    expect(JSON.stringify(masked)).not.toContain(CANARY);
    expect(masked).toEqual({
      message: `calling https://u:${REDACTED}@h/`,
      request: { headers: { authorization: REDACTED }, tries: 3 },
      tags: ['a', `token=${REDACTED}`],
    });
    // The input is left as it was.
    expect(body.request.headers.authorization).toBe(`Bearer ${CANARY}`);
  });

  it('returns what needs no masking as it is (no copy for the serialiser)', () => {
    const plain = { a: 'x', b: [1, 'y'], c: { d: true } };
    expect(r.value('attrs', plain)).toBe(plain);
    const list = ['a', 'b'];
    expect(r.value('list', list)).toBe(list);
    const bytes = new Uint8Array([1, 2]);
    expect(r.value('bytes', bytes)).toBe(bytes);
  });

  it('masks whole what is nested deeper than it walks', () => {
    let deep: unknown = `token=${CANARY}`;
    for (let i = 0; i < 20; i++) deep = { next: deep };
    expect(JSON.stringify(r.value('deep', deep))).not.toContain(CANARY);
  });

  it.each([
    [`dbPassword=${CANARY}`],
    [`{"authToken": "${CANARY}"}`],
    [`clientSecret: ${CANARY}`],
    [`apiSecret=${CANARY}`],
    [`https://x.test/cb?accessToken=${CANARY}&page=2`],
    [`https://x.test/login?user=ada&pwd=${CANARY}`],
    [`https://x.test/app;sessionid=${CANARY}`],
    [`https://x.test/app?SessionId=${CANARY}`],
    [`env: AWS_SECRET_ACCESS_KEY=${CANARY} AWS_REGION=eu-west-1`],
    [`GET user:${CANARY}@db.internal:5432`],
  ])('masks the secret in %s (camelCase, snake and kebab names alike)', (text) => {
    const out = r.text(text);
    expect(out).not.toContain(CANARY);
    expect(out).toContain(REDACTED);
  });

  it('matches attribute keys whatever their case and separators', () => {
    for (const key of [
      'dbPassword',
      'app.authToken',
      'clientSecret',
      'apiSecret',
      'AWS_SECRET_ACCESS_KEY',
      'x-session-id',
      'sessionId',
      'PWD_HASH_NOT',
      'db-pwd',
    ]) {
      const secret = key !== 'PWD_HASH_NOT';
      expect([key, r.value(key, CANARY)]).toEqual([key, secret ? REDACTED : CANARY]);
    }
    expect(r.value('meta', { dbPassword: CANARY, nested: { clientSecret: CANARY, rows: 3 } })).toEqual({
      dbPassword: REDACTED,
      nested: { clientSecret: REDACTED, rows: 3 },
    });
    // Names that only contain a secret word are not secrets.
    for (const key of ['tokenizer', 'maxTokens', 'secretary', 'passwordPolicy.minLength', 'sortKey']) expect(r.value(key, 'x')).toBe('x');
  });

  it('takes time linear in the input length (long runs of letters and digits followed by a colon)', () => {
    const hex = (n: number) => '0123456789abcdef'.repeat(Math.ceil(n / 16)).slice(0, n) + ':';
    // The fastest of a few runs: a shared machine adds noise, never removes it.
    const time = (text: string) => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        r.text(text);
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    time(hex(1000));
    const small = Math.max(time(hex(40_000)), 0.1);
    const large = time(hex(640_000));
    // Quadratic would be 256x; linear is 16x.
    expect(large / small).toBeLessThan(64);
    expect(large).toBeLessThan(500);
  });
});
