import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '../../../src/sdk/redact.js';
import { LOG_BODY_LIMIT, redactLog, redactSpan } from '../../../src/sdk/RedactingExporters.js';

const CANARY = 'canary-s3cr3t-7f3a';
const r = createRedactor();

const span = (name: string) => ({ name, attributes: {}, events: [], links: [], status: { code: 0 } }) as unknown as ReadableSpan;
const record = (body: unknown) => ({ body, attributes: {} }) as unknown as ReadableLogRecord;

describe('redacting spans and log records', () => {
  it('masks credentials in a span name', () => {
    expect(redactSpan(r, span(`GET https://ada:${CANARY}@api.test/v1`)).name).toBe(`GET https://ada:${REDACTED}@api.test/v1`);
    expect(redactSpan(r, span(`connect ada:${CANARY}@db.internal`)).name).not.toContain(CANARY);
    const plain = span('Sync users');
    expect(redactSpan(r, plain)).toBe(plain);
  });

  it('truncates a log body past the documented limit, and masks what is kept', () => {
    const body = `password=${CANARY} ` + 'x'.repeat(LOG_BODY_LIMIT * 4);
    const out = redactLog(r, record(body)).body as string;
    expect(out.length).toBeLessThan(LOG_BODY_LIMIT + 100);
    expect(out).not.toContain(CANARY);
    expect(out).toMatch(/truncated/);
    const short = record('fine');
    expect(redactLog(r, short)).toBe(short);
  });

  it('truncates long strings inside a structured body', () => {
    const out = redactLog(r, record({ dump: 'y'.repeat(LOG_BODY_LIMIT * 2), n: 1 })).body as { dump: string; n: number };
    expect(out.dump.length).toBeLessThan(LOG_BODY_LIMIT + 100);
    expect(out.n).toBe(1);
  });
});
