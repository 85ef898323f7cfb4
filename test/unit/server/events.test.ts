import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trackBatch } from '../../../src/api/trackBatch.js';
import { startTestServer, TOKEN, waitFor, type TestServer } from './helpers.js';

interface Received {
  id: string | undefined;
  event: string;
  data: any;
}

/** A minimal SSE client over fetch, collecting parsed events. */
function listen(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const events: Received[] = [];
  const done = (async () => {
    const res = await fetch(url, { headers, signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`SSE ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const at = line.indexOf(': ');
            if (at > 0) fields[line.slice(0, at)] = line.slice(at + 2);
          }
          if (fields['event']) events.push({ id: fields['id'], event: fields['event'], data: JSON.parse(fields['data'] ?? 'null') });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, close: () => controller.abort(), done };
}

let s: TestServer;
const auth = { authorization: `Bearer ${TOKEN}` };
beforeEach(async () => {
  s = await startTestServer({ events: { progressIntervalMs: 50, keepAliveProgressMs: 10_000 } });
});
afterEach(async () => {
  s.open();
  await s.close();
});

describe('GET /api/batch/events (SSE)', () => {
  it('sends a snapshot, then created, throttled progress and the final event', async () => {
    const before = trackBatch({ name: 'before', registry: s.registry, display: 'none' });
    const client = listen(`${s.url}/api/batch/events`, { authorization: `Bearer ${TOKEN}` });
    await waitFor(() => client.events.find((e) => e.event === 'batch:snapshot'), 5000, 'snapshot');
    expect(client.events[0]!.data.runs.map((r: { id: string }) => r.id)).toEqual([before.id]);

    const batch = trackBatch({ name: 'live', operation: 'live', total: 1000, registry: s.registry, display: 'none' }).start();
    await waitFor(() => client.events.find((e) => e.event === 'batch:created' && e.data.id === batch.id), 5000, 'created');
    // 1000 increments from the loop; the hub samples on its own timer, so far fewer events.
    for (let i = 0; i < 500; i++) batch.tick();
    await waitFor(() => client.events.find((e) => e.event === 'batch:progress' && e.data.processed_items === 500), 5000, 'progress 500');
    for (let i = 0; i < 500; i++) batch.tick();
    await waitFor(() => client.events.find((e) => e.event === 'batch:progress' && e.data.processed_items === 1000), 5000, 'progress 1000');
    const progress = client.events.filter((e) => e.event === 'batch:progress' && e.data.id === batch.id);
    expect(progress.length).toBeLessThanOrEqual(4);
    expect(progress.at(-1)!.data).toMatchObject({ progress: 100, status: 'running', throughput: [], latency: { count: 0 } });

    batch.finish();
    const done = await waitFor(() => client.events.find((e) => e.event === 'batch:completed'), 5000, 'completed');
    expect(done.data).toMatchObject({ id: batch.id, status: 'completed' });
    const failed = trackBatch({ name: 'f', registry: s.registry, display: 'none' }).start();
    failed.finish({ result: 'failure' });
    const cancelled = trackBatch({ name: 'c', registry: s.registry, display: 'none' }).start();
    cancelled.cancel();
    cancelled.finish();
    await waitFor(() => client.events.find((e) => e.event === 'batch:cancelled'), 5000, 'cancelled');
    expect(client.events.find((e) => e.event === 'batch:failed')!.data.id).toBe(failed.id);
    const ids = client.events.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    client.close();
  });

  it('resumes after Last-Event-ID with the missed events only; a stale id gets a snapshot', async () => {
    const first = listen(`${s.url}/api/batch/events`, auth);
    await waitFor(() => first.events[0], 5000, 'snapshot');
    const a = trackBatch({ name: 'a', registry: s.registry, display: 'none' });
    const created = await waitFor(() => first.events.find((e) => e.event === 'batch:created'), 5000, 'created a');
    first.close();
    const b = trackBatch({ name: 'b', registry: s.registry, display: 'none' });
    const c = trackBatch({ name: 'c', registry: s.registry, display: 'none' });

    const resumed = listen(`${s.url}/api/batch/events`, { authorization: `Bearer ${TOKEN}`, 'last-event-id': created.id! });
    // Runs start when created, so progress events come too; the lifecycle events missed are the two creations.
    const lifecycle = () => resumed.events.filter((e) => e.event !== 'batch:progress');
    await waitFor(() => lifecycle().length >= 2, 5000, 'replay');
    expect(resumed.events.every((e) => Number(e.id) > Number(created.id))).toBe(true);
    expect(lifecycle().map((e) => [e.event, e.data.id])).toEqual([
      ['batch:created', b.id],
      ['batch:created', c.id],
    ]);
    resumed.close();

    const stale = listen(`${s.url}/api/batch/events?lastEventId=999999`, auth);
    const snapshot = await waitFor(() => stale.events.find((e) => e.event === 'batch:snapshot'), 5000, 'snapshot');
    expect(snapshot.data.runs.map((r: { id: string }) => r.id).sort()).toEqual([a.id, b.id, c.id].sort());
    stale.close();
  });

  it('bounds the replay buffer', async () => {
    await s.close();
    s = await startTestServer({ events: { replaySize: 3 } });
    const first = listen(`${s.url}/api/batch/events`, auth);
    await waitFor(() => first.events[0], 5000, 'snapshot');
    trackBatch({ name: 'x0', registry: s.registry, display: 'none' });
    const created = await waitFor(() => first.events.find((e) => e.event === 'batch:created'), 5000, 'created');
    first.close();
    for (let i = 1; i <= 5; i++) trackBatch({ name: `x${i}`, registry: s.registry, display: 'none' });
    const late = listen(`${s.url}/api/batch/events`, { authorization: `Bearer ${TOKEN}`, 'last-event-id': created.id! });
    const snapshot = await waitFor(() => late.events[0], 5000, 'first event');
    expect(snapshot.event).toBe('batch:snapshot');
    expect(snapshot.data.runs).toHaveLength(6);
    late.close();
  });

  it('answers HEAD with the stream headers and no stream: it is not held open as a live client', async () => {
    const { request } = await import('node:http');
    const head = () =>
      new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
        const req = request(`${s.url}/api/batch/events`, { method: 'HEAD', headers: auth, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'] }));
        });
        req.setTimeout(3000, () => req.destroy(new Error('HEAD /api/batch/events held open')));
        req.on('error', reject);
        req.end();
      });
    const answers = await Promise.all(Array.from({ length: 50 }, head));
    expect(answers.every((a) => a.status === 200 && a.type === 'text/event-stream; charset=utf-8')).toBe(true);
    expect((await s.request('/api/batch/stats')).body.stats.liveClients).toBe(0);
  });

  it('reports removal on cleanup', async () => {
    const client = listen(`${s.url}/api/batch/events`, auth);
    await waitFor(() => client.events[0], 5000, 'snapshot');
    const run = trackBatch({ name: 'gone', registry: s.registry, display: 'none' }).start();
    run.finish();
    s.registry.remove(run.id);
    const removed = await waitFor(() => client.events.find((e) => e.event === 'batch:removed'), 5000, 'removed');
    expect(removed.data).toEqual({ id: run.id, at: expect.any(Number) });
    client.close();
  });
});
