import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBatchHandler, defineOperation } from '../../../src/server/index.js';
import { startTestServer, TOKEN, type TestServer } from './helpers.js';

let s: TestServer | undefined;
afterEach(async () => {
  s?.open();
  await s?.close();
  s = undefined;
  diag.disable();
});

const create = (body: unknown) => s!.request('/api/batch/create', { method: 'POST', body: JSON.stringify(body) });

describe('configuration errors', () => {
  it('refuses a readToken that is not a string of at least 16 characters, naming the field, expected and received', () => {
    expect(() => createBatchHandler({ auth: { token: TOKEN, readToken: 12345 as never } })).toThrow(/auth\.readToken.*string.*16.*number/s);
    expect(() => createBatchHandler({ auth: { token: TOKEN, readToken: 'short' } })).toThrow(/auth\.readToken/);
    expect(() => createBatchHandler({ auth: { token: TOKEN, readToken: TOKEN } })).toThrow(/auth\.readToken.*differ/s);
    expect(() => createBatchHandler({ auth: { token: 42 as never } })).toThrow(/auth\.token.*number/s);
  });
});

describe('internal errors', () => {
  it('answer 500 with an opaque id; the message goes to the diagnostic logger, never to the client', async () => {
    const logged: string[] = [];
    const record = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    const logger: DiagLogger = { error: record, warn: record, info: record, debug: record, verbose: record };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const broken = defineOperation('broken', z.strictObject({}), () => undefined, {
      total: () => {
        throw new TypeError('secret detail: Received type number (12345) at /srv/app/config.ts');
      },
    });
    s = await startTestServer({ operations: [broken] });
    const res = await create({ operation: 'broken', input: {} });
    expect(res.status).toBe(500);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('secret detail');
    expect(text).not.toContain('12345');
    expect(res.body).toMatchObject({ success: false, error: 'internal error', details: { errors: [{ path: 'server', code: 'internal' }] } });
    const id = /\b([0-9a-f]{12})\b/.exec(res.body.details.errors[0].message)?.[1];
    expect(id, res.body.details.errors[0].message).toBeDefined();
    expect(logged.some((line) => line.includes(id!) && line.includes('secret detail'))).toBe(true);
  });
});

describe('validation errors name the field, what was expected, what was received', () => {
  it('says where a misplaced known field belongs', async () => {
    s = await startTestServer();
    const res = await create({ operation: 'gated', input: { items: 1 }, batchSize: 10 });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('`batchSize` belongs under `options`');
    expect(res.body.details.errors).toEqual([
      expect.objectContaining({ path: 'body.batchSize', code: 'unrecognized_keys', message: expect.stringContaining('`batchSize` belongs under `options`') }),
    ]);
  });

  it('says so when a top-level field was put under `options` (other option keys are accepted and ignored)', async () => {
    s = await startTestServer();
    const res = await create({ operation: 'gated', input: { items: 1 }, options: { batchSize: 5, total_items: 10, model: 'gpt-4' } });
    expect(res.status).toBe(400);
    expect(res.body.details.errors).toEqual([
      expect.objectContaining({
        path: 'body.options.total_items',
        code: 'misplaced_field',
        received: '10',
        message: expect.stringContaining('`total_items` belongs at the top level'),
      }),
    ]);
    expect((await create({ operation: 'gated', input: { items: 1 }, options: { batchSize: 5, model: 'gpt-4' } })).status).toBe(202);
  });

  it('a wrong type or range reports expected and received', async () => {
    s = await startTestServer();
    const res = await create({ operation: 'gated', input: { items: 1 }, options: { batchSize: 0 } });
    expect(res.status).toBe(400);
    const option = res.body.details.errors[0];
    expect(option).toMatchObject({ path: 'body.options.batchSize', code: 'too_small', expected: expect.stringContaining('1'), received: '0' });
    expect(option.message).toMatch(/expected .*1.*received 0/);
    const input = await create({ operation: 'gated', input: { items: 'many' } });
    const byPath = Object.fromEntries(input.body.details.errors.map((e: { path: string }) => [e.path, e]));
    expect(byPath['body.input.items']).toMatchObject({ code: 'invalid_type', expected: 'number', received: '"many"' });
    expect(byPath['body.input.items'].message).toMatch(/expected number, received "many"/);
  });

  it('an unknown field lists the fields that are known there', async () => {
    s = await startTestServer();
    const res = await s.request('/api/batch/history?colour=red');
    expect(res.status).toBe(400);
    expect(res.body.details.errors[0]).toMatchObject({ path: 'query.colour', received: '"red"' });
    expect(res.body.details.errors[0].expected).toContain('operation');
    expect(res.body.details.errors[0].expected).toContain('limit');
  });

  it('an unknown operation names the field, the known operations and what was received', async () => {
    s = await startTestServer();
    const res = await create({ operation: 'rm_rf' });
    expect(res.body.details.errors).toEqual([
      {
        path: 'body.operation',
        message: 'expected one of: gated, received "rm_rf"',
        code: 'unknown_operation',
        expected: 'one of: gated',
        received: '"rm_rf"',
      },
    ]);
  });

  it('keeps what clients echo bounded: a huge unknown key is truncated in the error', async () => {
    s = await startTestServer();
    const key = 'k'.repeat(20_000);
    const res = await create({ operation: 'gated', [key]: 1 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body).length).toBeLessThan(4000);
  });
});
