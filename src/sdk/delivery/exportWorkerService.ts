/**
 * The export worker's work (started by exportWorker.ts, at its lower
 * priority): it takes encoded requests from the app's thread (from the
 * hand-over ring, or in buffers of their own, transferred), writes them to the
 * spool, compresses, sends and retries them, and reports its counts back. It
 * compresses on its own thread.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { parentPort, workerData } from 'node:worker_threads';
import type { DeliveryState } from './Delivery.js';
import { createSpoolDelivery } from './SpoolDelivery.js';
import type { ExportWorkerData, FromWorker, ToWorker } from './workerMessages.js';

const port = parentPort;
if (!port) throw new Error('batchtel: the export worker runs as a worker thread only');
const post = (message: FromWorker) => port.postMessage(message);

// The app's diag logger is on its own thread: what this one says goes there.
const forward = (level: 'error' | 'warn' | 'info') => (message: string) => post({ type: 'diag', level, message });
diag.setLogger(
  { error: forward('error'), warn: forward('warn'), info: forward('info'), debug: () => {}, verbose: () => {} },
  { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true },
);

const { settings, ring, released } = workerData as ExportWorkerData;
const delivery = createSpoolDelivery(settings, {
  onExport: (seconds, result) => {
    post({ type: 'export', seconds, ok: result.ok, reason: result.reason, status: result.status });
    stateSoon();
  },
  announce: () => post({ type: 'announce' }),
  // Here, on this lower-priority thread, rather than on libuv's pool, which the app's thread shares.
  compressInline: true,
});

const state = (): DeliveryState => ({
  counts: delivery.counts,
  pending: delivery.pending(),
  inflight: delivery.inflightRecords(),
  spoolBytes: delivery.spoolBytes(),
});

/** One state report per turn however many sends finished in it. */
let scheduled = false;
function stateSoon(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    post({ type: 'state', state: state() });
  });
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'write':
      delivery.write(message.body, message.records);
      post({ type: 'written', id: message.id, state: state() });
      break;
    case 'placed':
      delivery.writeBorrowed(ring.subarray(message.at, message.at + message.length), message.records);
      // Seen at once by an app's thread that waits for room, which reads no messages while it waits.
      Atomics.add(released, 0, message.consumed);
      Atomics.notify(released, 0);
      post({ type: 'written', id: message.id, state: state() });
      break;
    case 'flush':
      void delivery.flush().then(() => post({ type: 'flushed', id: message.id, state: state() }));
      break;
    case 'close':
      // The app's thread ends this thread once it has read this answer: a thread that ended
      // itself could be seen gone before its last message was read, and counted as dead.
      void delivery.close(message.timeoutMs).then(() => post({ type: 'closed', state: state() }));
      break;
  }
});

post({ type: 'ready', state: state() });
