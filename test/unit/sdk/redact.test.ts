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
  ])('masks the secret in %s', (text) => {
    const out = r.text(text);
    expect(out).not.toContain(CANARY);
    expect(out).toContain(REDACTED);
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
});
