import type { DeliveryState } from './Delivery.js';

/** From the app's thread to the export worker. */
export type ToWorker =
  | { readonly type: 'write'; readonly id: number; readonly body: Uint8Array; readonly records: number }
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
