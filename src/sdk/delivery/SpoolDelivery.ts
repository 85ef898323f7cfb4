import { JsonLinesWriter } from '../JsonLinesWriter.js';
import type { Delivery } from './Delivery.js';
import { OtlpHttpTransport, type SendResult } from './OtlpHttpTransport.js';
import { rejectedIn } from './partialSuccess.js';
import { Spool } from './Spool.js';
import { SpoolSender, type LocalFallback } from './SpoolSender.js';

/** What a delivery is built from: plain data, so the export worker can be given it. */
export interface DeliverySettings {
  readonly signal: 'traces' | 'logs';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMillis?: number;
  readonly gzip?: boolean;
  readonly encoding: 'protobuf' | 'json';
  readonly spoolDir: string;
  readonly maxSpoolBytes?: number;
  readonly fsync?: boolean;
  readonly concurrency?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** The implicit local default's folder (see DurableDeliveryConfig.local). */
  readonly local?: { readonly dir: string; readonly recheckMs?: number; readonly maxBytes?: number };
}

/** What a delivery calls back (on the app's thread directly, from the worker by message), and where it compresses. */
export interface DeliveryHooks {
  readonly onExport?: (seconds: number, result: SendResult) => void;
  /** The first request that goes to the local folder. */
  readonly announce?: () => void;
  readonly now?: () => number;
  /** Compress on the calling thread (the export worker) instead of libuv's pool. */
  readonly compressInline?: boolean;
}

/** Requests written to the spool, then sent from it, on the thread that calls `write`. */
export class SpoolDelivery implements Delivery {
  constructor(
    readonly spool: Spool,
    readonly sender: SpoolSender,
    private readonly encoding: 'protobuf' | 'json',
  ) {}

  get counts() {
    return this.sender.counts;
  }

  write(body: Uint8Array, records: number): void {
    const file = this.spool.write(body, records);
    if (file) this.sender.enqueue(file, body);
    else this.sender.enqueueInMemory(body, records, this.encoding);
  }

  /** A body whose memory is reused once this returns (the export worker's ring): what is kept of it is a copy. */
  writeBorrowed(body: Uint8Array, records: number): void {
    const file = this.spool.write(body, records);
    if (file) this.sender.enqueue(file, body, true);
    else this.sender.enqueueInMemory(body.slice(), records, this.encoding);
  }

  pending(): number {
    return this.sender.pending();
  }

  inflightRecords(): number {
    return this.sender.inflightRecords();
  }

  spoolBytes(): number {
    return this.spool.bytes();
  }

  flush(): Promise<void> {
    return this.sender.flush();
  }

  async close(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([this.sender.flush(), deadline]);
    clearTimeout(timer);
    this.sender.close();
  }
}

export function createSpoolDelivery(settings: DeliverySettings, hooks: DeliveryHooks = {}): SpoolDelivery {
  const transport = new OtlpHttpTransport(
    settings.url,
    settings.headers ?? {},
    settings.timeoutMillis ?? 10_000,
    settings.gzip ?? true,
    hooks.compressInline ?? false,
  );
  let sender: SpoolSender | undefined;
  const spool = new Spool({
    dir: settings.spoolDir,
    prefix: settings.signal,
    maxBytes: settings.maxSpoolBytes ?? 256 * 1024 * 1024,
    encoding: settings.encoding,
    onEvict: (file) => sender?.evicted(file),
    fsync: settings.fsync ?? false,
  });
  sender = new SpoolSender({
    signal: settings.signal,
    spool,
    transport,
    rejected: (body, encoding) => rejectedIn(settings.signal, body, encoding),
    concurrency: settings.concurrency,
    baseBackoffMs: settings.baseBackoffMs,
    maxBackoffMs: settings.maxBackoffMs,
    onExport: hooks.onExport,
    local: settings.local === undefined ? undefined : localFallback(settings.signal, settings.local, hooks.announce ?? (() => {})),
    now: hooks.now,
  });
  return new SpoolDelivery(spool, sender, settings.encoding);
}

function localFallback(signal: 'traces' | 'logs', local: NonNullable<DeliverySettings['local']>, announce: () => void): LocalFallback {
  const writer = new JsonLinesWriter(local.dir, `${signal}.jsonl`, signal, local.maxBytes);
  return { append: (request, records) => writer.append(request, records), recheckMs: local.recheckMs ?? 30_000, announce };
}
