import { describe, expect, it } from 'vitest';
import { trackBatch } from '../../../src/api/trackBatch.js';
import { ManualClock } from '../../../src/core/clock.js';
import { ATTR_BATCH_RUN_RESULT, ATTR_ERROR_TYPE, METRIC_BATCH_RUN_DURATION, spanNameRun } from '../../../src/semconv.js';
import { createTestTelemetry, pointWith } from '../../support/otel.js';
import { serverPerTest, startTestServer, waitFor, type TestServer } from './helpers.js';

let s: TestServer;
serverPerTest(
  (server) => (s = server),
  () => s,
);

const create = (body: unknown = { operation: 'gated', input: { items: 100 }, options: { batchSize: 10 } }) =>
  s.request('/api/batch/create', { method: 'POST', body: JSON.stringify(body) });

/** A finished run made by hand, ended at `endMs` on its own clock. */
function finishedRun(name: string, operation: string, endMs: number, fail = false) {
  const clock = new ManualClock(endMs - 1000);
  const run = trackBatch({ name, operation, total: 10, registry: s.registry, clock, display: 'none' }).start();
  run.add(fail ? 4 : 10);
  if (fail) run.add(6, 'failure');
  clock.advance(1000);
  run.finish(fail ? { result: 'failure' } : {});
  return run;
}

describe('POST /api/batch/create', () => {
  it('starts a registered operation and answers 202 with the run', async () => {
    const res = await create();
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ success: true, batch: { operation: 'gated', total_items: 100, progress: 0 } });
    const id = res.body.batch.id as string;
    const run = await waitFor(() => s.registry.get(id)?.completed === 10 && s.registry.get(id), 5000, 'first chunk');
    expect(run.status).toBe('running');
  });

  it('refuses an unknown operation with a field path', async () => {
    const res = await create({ operation: 'rm_rf' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      success: false,
      error: 'unknown operation "rm_rf"',
      details: { errors: [{ path: 'body.operation', message: 'expected one of: gated, received "rm_rf"', code: 'unknown_operation' }] },
    });
  });

  it('checks the input against the operation schema', async () => {
    const res = await create({ operation: 'gated', input: { items: 'many' } });
    expect(res.status).toBe(400);
    expect(res.body.details.errors).toEqual([expect.objectContaining({ path: 'body.input.items', code: 'invalid_type' })]);
  });

  it('accepts `filters` as another name for the input', async () => {
    const res = await create({ operation: 'gated', filters: { items: 20 }, name: 'Monthly', options: { batchSize: 5, retryAttempts: 2, timeout: 60000 } });
    expect(res.status).toBe(202);
    expect(res.body.batch).toMatchObject({ name: 'Monthly', total_items: 20 });
  });

  it('validates the body: types, ranges, unknown fields', async () => {
    const res = await create({ operation: 'gated', options: { batchSize: 0, retryAttempts: 'x' }, bogus: 1 });
    expect(res.status).toBe(400);
    const paths = res.body.details.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['body.bogus', 'body.options.batchSize', 'body.options.retryAttempts']);
  });

  it('answers 400 for malformed JSON and 415 for another media type', async () => {
    const bad = await s.request('/api/batch/create', { method: 'POST', body: '{"operation":' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.errors[0].code).toBe('invalid_json');
    const text = await s.request('/api/batch/create', { method: 'POST', body: 'operation=gated', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('answers 413 above the body limit', async () => {
    const res = await create({ operation: 'gated', description: 'x'.repeat(70 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, details: { errors: [{ code: 'too_large' }] } });
  });

  it('is rate-limited by a token bucket (429 with Retry-After), refilled as time passes', async () => {
    await s.close();
    s = await startTestServer({ createRateLimit: { capacity: 2, refillPerSecond: 0.5 } });
    expect((await create()).status).toBe(202);
    expect((await create()).status).toBe(202);
    const limited = await create();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body.details.errors[0].code).toBe('rate_limited');
    s.clock.advance(2000);
    expect((await create()).status).toBe(202);
    expect((await create()).status).toBe(429);
  });

  it('spends no rate-limit slot on a create that fails validation', async () => {
    await s.close();
    s = await startTestServer({ createRateLimit: { capacity: 2, refillPerSecond: 0 } });
    for (const bad of [
      { operation: 'rm_rf' },
      { operation: 'gated', input: { items: 'many' } },
      { operation: 'gated', batchSize: 5 },
      { operation: 'gated', input: { items: 0 } },
    ]) {
      expect((await create(bad)).status).toBe(400);
    }
    expect((await create()).status).toBe(202);
    expect((await create()).status).toBe(202);
    expect((await create()).status).toBe(429);
  });
});

describe('GET /api/batch/:id, /results, /viz', () => {
  it('reports status and progress with the documented fields, ETA with interval and confidence', async () => {
    const run = trackBatch({ name: 'Import', operation: 'import', total: 1000, registry: s.registry, display: 'none' }).start();
    for (let i = 0; i < 20; i++) {
      const chunk = s.registry.get(run.id)!.beginChunk(10);
      s.registry.get(run.id)!.endChunk(chunk);
    }
    const res = await s.request(`/api/batch/${run.id}`);
    expect(res.status).toBe(200);
    expect(res.body.batch).toMatchObject({
      id: run.id,
      name: 'Import',
      operation: 'import',
      status: 'running',
      progress: 20,
      total_items: 1000,
      processed_items: 200,
      failed_items: 0,
    });
    expect(typeof res.body.batch.created_at).toBe('string');
    expect(typeof res.body.batch.started_at).toBe('string');
    const eta = res.body.batch.eta;
    if (eta !== null) {
      expect(eta.remainingMs).toBeGreaterThanOrEqual(0);
      expect(eta.interval.lowMs).toBeLessThanOrEqual(eta.interval.highMs);
      expect(eta.confidence).toBeGreaterThanOrEqual(0);
      expect(eta.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('answers 404 in the standard error shape for an unknown id', async () => {
    for (const suffix of ['', '/results', '/viz', '/cancel']) {
      const res = await s.request(`/api/batch/nope${suffix}`, suffix === '/cancel' ? { method: 'POST', body: '{}' } : {});
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, details: { errors: [{ path: 'params.id', code: 'not_found' }] } });
    }
  });

  it('results: summary with performance metrics', async () => {
    const clock = new ManualClock(1_000_000);
    const batch = trackBatch({ name: 'Annotate', operation: 'annotate', total: 4, registry: s.registry, clock, display: 'none' }).start();
    const run = s.registry.get(batch.id)!;
    for (const ms of [100, 200, 300, 400]) {
      const chunk = run.beginChunk(1);
      clock.advance(ms);
      run.endChunk(chunk, { failed: ms === 400 ? 1 : 0 });
    }
    batch.quality(0.9);
    batch.error(Object.assign(new Error('slow down'), { status: 429 }));
    batch.finish();
    const res = await s.request(`/api/batch/${batch.id}/results`);
    expect(res.status).toBe(200);
    expect(res.body.batch.summary).toMatchObject({
      total: 4,
      successful: 3,
      failed: 1,
      qualityScore: 0.9,
      rateLimitHits: 1,
      performanceMetrics: { averageDuration: 250, totalDuration: 1000, requestsPerMinute: 240 },
    });
    expect(res.body.batch.status).toBe('completed');
    expect(res.body.batch.completed_at).toBe(new Date(1_001_000).toISOString());
  });

  it('viz: overview, error and quality distributions, percentiles', async () => {
    const batch = trackBatch({ name: 'Viz', operation: 'viz', total: 10, registry: s.registry, display: 'none' }).start();
    batch.add(8);
    batch.add(2, 'failure');
    batch.error(new Error('boom'), { type: 'timeout' });
    batch.error(new Error('boom'), { type: 'timeout' });
    batch.error(new Error('bad'), { type: 'invalid_response' });
    for (const q of [0.95, 0.85, 0.82, 0.65]) batch.quality(q);
    const res = await s.request(`/api/batch/${batch.id}/viz`);
    expect(res.status).toBe(200);
    const v = res.body.visualization;
    expect(v.overview).toMatchObject({ total: 10, successful: 8, failed: 2, pending: 0, successRate: 0.8 });
    expect(v.errorDistribution).toEqual([
      { error: 'timeout', count: 2, percentage: 66.7 },
      { error: 'invalid_response', count: 1, percentage: 33.3 },
    ]);
    expect(v.qualityDistribution.find((b: { range: string }) => b.range === '0.8-0.9')).toEqual({ range: '0.8-0.9', count: 2, percentage: 50 });
    expect(v.qualityDistribution).toHaveLength(10);
    expect(Object.keys(v.performanceMetrics)).toEqual(['averageDuration', 'p50Duration', 'p95Duration', 'p99Duration']);
  });
});

describe('GET /api/batch/history and /stats', () => {
  it('filters by operation and status, pages with limit and offset, newest first', async () => {
    finishedRun('a', 'import', Date.now());
    s.clock.advance(1000);
    finishedRun('b', 'import', Date.now(), true);
    s.clock.advance(1000);
    finishedRun('c', 'export', Date.now());
    const all = await s.request('/api/batch/history');
    expect(all.body).toMatchObject({ success: true, count: 3, total: 3, filter: { limit: 50, offset: 0 } });
    expect(all.body.batches.map((b: { name: string }) => b.name)).toEqual(['c', 'b', 'a']);
    const imports = await s.request('/api/batch/history?operation=import&status=completed');
    expect(imports.body.batches.map((b: { name: string }) => b.name)).toEqual(['a']);
    const page = await s.request('/api/batch/history?limit=1&offset=1');
    expect(page.body).toMatchObject({ count: 1, total: 3, filter: { limit: 1, offset: 1 } });
    expect(page.body.batches[0].name).toBe('b');
  });

  it('filters by creation time', async () => {
    const t0 = s.clock.now();
    finishedRun('old', 'x', Date.now());
    s.clock.advance(60_000);
    finishedRun('new', 'x', Date.now());
    const after = new Date(t0 + 30_000).toISOString();
    const res = await s.request(`/api/batch/history?createdAfter=${after}`);
    expect(res.body.batches.map((b: { name: string }) => b.name)).toEqual(['new']);
    const before = await s.request(`/api/batch/history?createdBefore=${encodeURIComponent(after)}`);
    expect(before.body.batches.map((b: { name: string }) => b.name)).toEqual(['old']);
  });

  it('rejects a bad query with field paths (limit above 100, unknown status, bad date, unknown key)', async () => {
    const res = await s.request('/api/batch/history?limit=101&status=done&createdAfter=yesterday&colour=red');
    expect(res.status).toBe(400);
    const paths = res.body.details.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['query.colour', 'query.createdAfter', 'query.limit', 'query.status']);
  });

  it('stats: counts by status and operation, completion rate', async () => {
    finishedRun('a', 'import', Date.now());
    finishedRun('b', 'import', Date.now(), true);
    finishedRun('c', 'export', Date.now());
    trackBatch({ name: 'live', operation: 'export', registry: s.registry, display: 'none' }).start();
    const res = await s.request('/api/batch/stats');
    expect(res.body).toMatchObject({
      success: true,
      stats: {
        total: 4,
        byStatus: { pending: 0, running: 1, completed: 2, failed: 1, cancelled: 0 },
        byOperation: { import: 2, export: 2 },
        completionRate: 0.6667,
      },
    });
  });
});

describe('POST /api/batch/:id/cancel', () => {
  it('aborts the run through its AbortSignal; it finishes as cancelled and its span says so', async () => {
    const telemetry = createTestTelemetry();
    await s.close();
    s = await startTestServer({ runDefaults: { display: 'none', telemetry: telemetry.providers } });
    const created = await create();
    const id = created.body.batch.id as string;
    await waitFor(() => s.registry.get(id)?.completed === 10, 5000, 'progress');
    const res = await s.request(`/api/batch/${id}/cancel`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ success: true, cancelRequested: true });
    const run = await waitFor(() => s.registry.get(id)?.isFinished && s.registry.get(id), 5000, 'cancelled');
    expect(run.status).toBe('cancelled');
    expect(run.signal.aborted).toBe(true);
    const status = await s.request(`/api/batch/${id}`);
    expect(status.body.batch.status).toBe('cancelled');
    expect(status.body.batch.processed_items).toBeLessThan(100);
    const span = await waitFor(() => telemetry.spans().find((sp) => sp.name === spanNameRun('gated')), 5000, 'run span');
    expect(span.attributes[ATTR_BATCH_RUN_RESULT]).toBe('cancellation');
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('cancelled');
    const duration = pointWith(await telemetry.metric(METRIC_BATCH_RUN_DURATION), { [ATTR_BATCH_RUN_RESULT]: 'cancellation' });
    expect(duration, 'batch.run.duration with batch.run.result=cancellation').toBeDefined();
    const again = await s.request(`/api/batch/${id}/cancel`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(409);
    expect(again.body.details.errors[0].code).toBe('already_finished');
    await telemetry.shutdown();
  });

  it('a loop that does not watch its signal: 202 cancelRequested, the status stays running until the loop stops', async () => {
    const batch = trackBatch({ name: 'ticks', operation: 'ticks', total: 100, registry: s.registry, display: 'none' }).start();
    batch.add(10);
    const res = await s.request(`/api/batch/${batch.id}/cancel`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ success: true, cancelRequested: true, batch: { id: batch.id, status: 'running' } });
    expect(res.body.message).toMatch(/signal/i);
    expect(batch.signal.aborted).toBe(true);
    batch.add(10); // the loop goes on
    expect((await s.request(`/api/batch/${batch.id}`)).body.batch).toMatchObject({ status: 'running', processed_items: 20 });
    const twice = await s.request(`/api/batch/${batch.id}/cancel`, { method: 'POST', body: '{}' });
    expect(twice.status).toBe(202);
    batch.finish(); // when the loop ends it finishes as cancelled
    expect((await s.request(`/api/batch/${batch.id}`)).body.batch.status).toBe('cancelled');
    expect((await s.request(`/api/batch/${batch.id}/cancel`, { method: 'POST', body: '{}' })).status).toBe(409);
  });
});

describe('DELETE /api/batch/cleanup', () => {
  it('forgets finished runs older than daysToKeep, keeps recent and active ones', async () => {
    const day = 86_400_000;
    finishedRun('ancient', 'x', Date.now() - 90 * day);
    finishedRun('recent', 'x', Date.now() - 2 * day);
    trackBatch({ name: 'active', operation: 'x', registry: s.registry, display: 'none' }).start();
    const res = await s.request('/api/batch/cleanup', { method: 'DELETE', body: JSON.stringify({ daysToKeep: 60 }) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, deleted: 1, daysToKeep: 60 });
    expect(
      s.registry
        .list()
        .map((r) => r.descriptor.name)
        .sort(),
    ).toEqual(['active', 'recent']);
  });

  it('requires daysToKeep as a whole number >= 0', async () => {
    const res = await s.request('/api/batch/cleanup', { method: 'DELETE', body: JSON.stringify({ daysToKeep: -1 }) });
    expect(res.status).toBe(400);
    expect(res.body.details.errors).toEqual([expect.objectContaining({ path: 'body.daysToKeep', code: 'too_small' })]);
    const missing = await s.request('/api/batch/cleanup', { method: 'DELETE' });
    expect(missing.body.details.errors).toEqual([expect.objectContaining({ path: 'body.daysToKeep', code: 'invalid_type' })]);
  });
});

describe('routing', () => {
  it('answers 405 with Allow for a known path and the wrong method, 404 elsewhere', async () => {
    const res = await s.request('/api/batch/create');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const missing = await s.request('/api/elsewhere');
    expect(missing.status).toBe(404);
    expect(missing.body.success).toBe(false);
  });

  it('serves the board at / without credentials (the page holds no data)', async () => {
    const res = await s.request('/', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.body).toContain('<title>batchtel board</title>');
  });
});

describe('mounting', () => {
  it('passes unknown paths to `next` (express/connect style) and serves its own', async () => {
    const { createServer } = await import('node:http');
    const { createBatchHandler } = await import('../../../src/server/index.js');
    const handler = createBatchHandler({ auth: { token: 'mounted-token-0123456789' }, registry: s.registry });
    const app = createServer((req, res) => handler(req, res, () => res.writeHead(200, { 'content-type': 'text/plain' }).end('app route')));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
    try {
      expect(await (await fetch(`${base}/orders`)).text()).toBe('app route');
      const stats = await fetch(`${base}/api/batch/stats`, { headers: { authorization: 'Bearer mounted-token-0123456789' } });
      expect(stats.status).toBe(200);
    } finally {
      handler.close();
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
  });

  it('forgets finished runs past `retentionDays` on its own', async () => {
    finishedRun('ancient', 'x', Date.now() - 30 * 86_400_000);
    finishedRun('fresh', 'x', Date.now());
    const { createBatchHandler } = await import('../../../src/server/index.js');
    const handler = createBatchHandler({ auth: { disabled: true }, registry: s.registry, retentionDays: 7 });
    handler.close();
    expect(s.registry.list().map((r) => r.descriptor.name)).toEqual(['fresh']);
  });
});
