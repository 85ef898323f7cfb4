import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startExportWorker } from '../../../src/sdk/delivery/WorkerDelivery.js';
import { EXPORT_WORKER_NICE } from '../../../src/sdk/delivery/threadPriority.js';
import { WorkerHandOver } from '../../../src/sdk/delivery/WorkerHandOver.js';

/** Each thread of this process: its id and nice value (/proc/<pid>/task/<tid>/stat, field 19). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
      nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended while listed
    }
  }
  return nices;
}

describe.runIf(process.platform === 'linux')('the export worker thread', () => {
  it('runs at a lower priority than the app, which keeps its own', async () => {
    const before = threadNices();
    const worker = startExportWorker(
      {
        signal: 'logs',
        url: 'http://127.0.0.1:1/v1/logs',
        encoding: 'json',
        spoolDir: mkdtempSync(join(tmpdir(), 'batchtel-nice-')),
      },
      new WorkerHandOver(1 << 20, 1000),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        worker.on('message', (message: { type: string }) => message.type === 'ready' && resolve());
        worker.once('error', reject);
      });
      const after = threadNices();
      const app = before.get(process.pid)!;
      // A new thread starts at the app's nice value; the worker's is that plus its steps (19 at most).
      const lowered = [...after].filter(([tid, nice]) => !before.has(tid) && nice === Math.min(19, app + EXPORT_WORKER_NICE));
      expect(lowered).toHaveLength(1);
      expect(after.get(process.pid)).toBe(app);
    } finally {
      await worker.terminate();
    }
  });
});
