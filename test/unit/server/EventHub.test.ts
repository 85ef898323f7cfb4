import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { trackBatch } from '../../../src/api/trackBatch.js';
import { RunRegistry } from '../../../src/core/RunRegistry.js';
import { EventHub } from '../../../src/server/EventHub.js';
import { waitFor } from './helpers.js';

/** Just enough of ServerResponse: what was written, and a backlog the test sets. */
class FakeResponse extends EventEmitter {
  status = 0;
  written = '';
  writableLength = 0;
  destroyed = false;
  ended = '';
  writeHead(status: number) {
    this.status = status;
    return this;
  }
  write(text: string) {
    this.written += text;
    return true;
  }
  end(text = '') {
    this.ended = text;
  }
  destroy() {
    this.destroyed = true;
  }
}
const fakeRequest = () => Object.assign(new EventEmitter(), { headers: {} });

describe('EventHub', () => {
  it('drops a client that lets its backlog grow past the limit (it resumes with Last-Event-ID)', async () => {
    const registry = new RunRegistry();
    const hub = new EventHub(registry, () => undefined, { maxBufferedBytes: 1000 });
    const slow = new FakeResponse();
    const fast = new FakeResponse();
    hub.connect(fakeRequest() as never, slow as never);
    hub.connect(fakeRequest() as never, fast as never);
    expect(hub.clientCount).toBe(2);
    slow.writableLength = 5000;
    trackBatch({ name: 'r', registry, display: 'none' });
    await waitFor(() => fast.written.includes('batch:created'), 2000, 'created to the fast client');
    expect(slow.destroyed).toBe(true);
    expect(slow.written).not.toContain('batch:created');
    expect(hub.clientCount).toBe(1);
    hub.close();
  });

  it('refuses clients above maxClients with 503 and ends streams on close', () => {
    const hub = new EventHub(new RunRegistry(), () => undefined, { maxClients: 1 });
    const first = new FakeResponse();
    const second = new FakeResponse();
    hub.connect(fakeRequest() as never, first as never);
    hub.connect(fakeRequest() as never, second as never);
    expect(first.status).toBe(200);
    expect(second.status).toBe(503);
    expect(JSON.parse(second.ended)).toMatchObject({ success: false, error: 'too many live clients' });
    hub.close();
    expect(hub.clientCount).toBe(0);
  });

  it('samples progress only for runs that changed, at most once per interval', () => {
    const registry = new RunRegistry();
    const hub = new EventHub(registry, () => undefined, { progressIntervalMs: 60_000, keepAliveProgressMs: 120_000 });
    const client = new FakeResponse();
    hub.connect(fakeRequest() as never, client as never);
    const batch = trackBatch({ name: 'r', registry, display: 'none', total: 10 }).start();
    const count = () => client.written.split('event: batch:progress').length - 1;
    const t = Date.now();
    hub.sampleProgress(t);
    batch.add(5);
    hub.sampleProgress(t + 10); // within the interval: nothing
    hub.sampleProgress(t + 60_000); // changed and due
    hub.sampleProgress(t + 120_000); // due, unchanged, keep-alive not yet due
    return waitFor(() => count() === 2, 2000, 'two progress events').then(() => hub.close());
  });

  it('bounds the replay ring by bytes as well as count, and cuts huge names, with no client connected', () => {
    const registry = new RunRegistry();
    const hub = new EventHub(registry, () => undefined, { progressIntervalMs: 1, keepAliveProgressMs: 1, replaySize: 1000, replayMaxBytes: 256 * 1024 });
    const batch = trackBatch({ name: 'n'.repeat(10 * 1024 * 1024), operation: 'op', registry, display: 'none', total: 10_000 }).start();
    batch.error(new Error('x'), { type: 't'.repeat(100_000) });
    const t = Date.now();
    for (let i = 1; i <= 1000; i++) {
      batch.add(1);
      hub.sampleProgress(t + i * 10);
    }
    expect(hub.replayBytes).toBeLessThanOrEqual(256 * 1024);
    expect(hub.replayBytes).toBeGreaterThan(0);
    // A client that connects now gets frames of bounded size.
    const client = new FakeResponse();
    hub.connect(fakeRequest() as never, client as never);
    expect(client.written.length).toBeLessThan(8 * 1024);
    const snapshot = JSON.parse(/data: (.*)\n/.exec(client.written)![1]!);
    expect(snapshot.runs[0].name).toHaveLength(256);
    expect(snapshot.runs[0].name.endsWith('…')).toBe(true);
    expect(Object.keys(snapshot.runs[0].errorsByType)[0]).toHaveLength(128);
    hub.close();
  });
});
