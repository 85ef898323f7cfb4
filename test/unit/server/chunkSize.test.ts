import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOperation, type CreateOptions } from '../../../src/server/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** An operation that notes the options it received and the size of each chunk process() hands it. */
function recordingOperation() {
  const seen: { options?: CreateOptions; chunks: number[]; done: boolean } = { chunks: [], done: false };
  const operation = defineOperation('record', z.strictObject({ items: z.number().int().min(1) }), async (input, ctx) => {
    seen.options = ctx.options;
    await ctx.process(
      Array.from({ length: input.items }, (_, i) => i),
      (chunk) => {
        seen.chunks.push(chunk.length);
      },
    );
    seen.done = true;
  });
  return { operation, seen };
}

async function createWith(options: Record<string, unknown>) {
  const { operation, seen } = recordingOperation();
  s = await startTestServer({ operations: [operation] });
  const res = await s.request('/api/batch/create', { method: 'POST', body: JSON.stringify({ operation: 'record', input: { items: 120 }, options }) });
  expect(res.status).toBe(202);
  await waitFor(() => seen.done, 5000, 'the run');
  return seen;
}

describe('POST /api/batch/create: the chunk size', () => {
  it('takes `chunkSize` under options', async () => {
    const seen = await createWith({ chunkSize: 40 });
    expect(seen.chunks).toEqual([40, 40, 40]);
    expect(seen.options).toMatchObject({ chunkSize: 40, batchSize: 40 });
  });

  it('still takes the deprecated `batchSize`', async () => {
    const seen = await createWith({ batchSize: 50 });
    expect(seen.chunks).toEqual([50, 50, 20]);
    expect(seen.options).toMatchObject({ chunkSize: 50, batchSize: 50 });
  });

  it('`chunkSize` wins over `batchSize`; with neither a chunk is 50 items', async () => {
    expect((await createWith({ chunkSize: 60, batchSize: 7 })).chunks).toEqual([60, 60]);
    await s!.close();
    s = undefined;
    expect((await createWith({})).chunks).toEqual([50, 50, 20]);
  });

  it('refuses a bad `chunkSize` naming the field', async () => {
    s = await startTestServer();
    const res = await s.request('/api/batch/create', {
      method: 'POST',
      body: JSON.stringify({ operation: 'gated', input: { items: 1 }, options: { chunkSize: 0 } }),
    });
    expect(res.status).toBe(400);
    expect(res.body.details.errors).toEqual([expect.objectContaining({ path: 'body.options.chunkSize', code: 'too_small' })]);
  });

  it('the OpenAPI text gives `chunkSize` with its default and marks `batchSize` deprecated', async () => {
    s = await startTestServer();
    const spec = (await s.request('/api/batch/openapi.json')).body;
    const options = spec.paths['/api/batch/create'].post.requestBody.content['application/json'].schema.properties.options.properties;
    expect(options.chunkSize).toMatchObject({ type: 'integer', minimum: 1, default: 50 });
    expect(options.batchSize).toMatchObject({
      type: 'integer',
      minimum: 1,
      deprecated: true,
      description: expect.stringContaining('Deprecated alias of `chunkSize`'),
    });
  });
});
