import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { DeliveryState } from '../../../src/sdk/delivery/Delivery.js';
import { emptyCounts } from '../../../src/sdk/delivery/SpoolSender.js';
import { WorkerDelivery } from '../../../src/sdk/delivery/WorkerDelivery.js';
import type { FromWorker, ToWorker } from '../../../src/sdk/delivery/workerMessages.js';

/**
 * A scripted export worker: it writes to its "disk" (pending records), never
 * delivers, and at close ends its thread before its answer is read, the order
 * a loaded machine showed for a worker that ended itself.
 */
class EndsBeforeItsAnswer extends EventEmitter {
  private pending = 0;
  constructor() {
    super();
    queueMicrotask(() => this.answer({ type: 'ready', state: this.state() }));
  }
  postMessage(message: ToWorker): void {
    queueMicrotask(() => {
      if (message.type === 'write') {
        this.pending += message.records;
        this.answer({ type: 'written', id: message.id, state: this.state() });
      } else if (message.type === 'close') {
        this.emit('exit', 0);
        this.answer({ type: 'closed', state: this.state() });
      }
    });
  }
  ref(): void {}
  unref(): void {}
  terminate(): Promise<number> {
    return Promise.resolve(1);
  }
  private state(): DeliveryState {
    return { counts: { ...emptyCounts(), spooled: this.pending }, pending: this.pending, inflight: 0, spoolBytes: this.pending * 100 };
  }
  private answer(message: FromWorker): void {
    this.emit('message', message);
  }
}

describe('WorkerDelivery', () => {
  it('a worker seen ended while closing left its written records on disk: they stay pending for the next process, not counted lost', async () => {
    const settings = {
      signal: 'logs' as const,
      url: 'http://127.0.0.1:1/v1/logs',
      encoding: 'json' as const,
      spoolDir: mkdtempSync(join(tmpdir(), 'batchtel-wd-')),
    };
    const delivery = new WorkerDelivery(settings, {}, () => new EndsBeforeItsAnswer() as unknown as Worker);
    delivery.write(new Uint8Array(10), 100);
    delivery.write(new Uint8Array(10), 50);
    await delivery.close(1000);
    expect(delivery.counts.dropped).toEqual({});
    expect(delivery.pending()).toBe(150);
  });
});
