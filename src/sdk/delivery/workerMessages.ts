import type { DeliveryState } from './Delivery.js';
import type { DeliverySettings } from './SpoolDelivery.js';

/** What the export worker starts with: its settings, and the ring it reads requests from (see WorkerHandOver). */
export interface ExportWorkerData {
  readonly settings: DeliverySettings;
  readonly ring: Uint8Array;
  readonly released: Int32Array;
}

/** From the app's thread to the export worker. */
export type ToWorker =
  /** A request in a buffer of its own, transferred. */
  | { readonly type: 'write'; readonly id: number; readonly body: Uint8Array; readonly records: number }
  /** A request in the ring, at `at`; `consumed` bytes are given back once it is written. */
  | { readonly type: 'placed'; readonly id: number; readonly at: number; readonly length: number; readonly consumed: number; readonly records: number }
  | { readonly type: 'flush'; readonly id: number }
  | { readonly type: 'close'; readonly timeoutMs: number };

/** From the export worker to the app's thread. */
export type FromWorker =
  | { readonly type: 'ready'; readonly state: DeliveryState }
  /** A write is on disk (or held in the worker's memory when the disk refused it). */
  | { readonly type: 'written'; readonly id: number; readonly state: DeliveryState }
  | { readonly type: 'state'; readonly state: DeliveryState }
  | { readonly type: 'flushed'; readonly id: number; readonly state: DeliveryState }
  | { readonly type: 'closed'; readonly state: DeliveryState }
  | { readonly type: 'export'; readonly seconds: number; readonly ok: boolean; readonly reason: string; readonly status: number | undefined }
  | { readonly type: 'announce' }
  | { readonly type: 'diag'; readonly level: 'error' | 'warn' | 'info'; readonly message: string };
