import { appendFileSync, lstatSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countRecords } from './delivery/countRecords.js';
import { readOwnFile } from './delivery/ownFile.js';

/** The local fallback's size limit per signal file (64 MiB): past it the oldest requests are evicted, counted. */
export const LOCAL_MAX_BYTES = 64 * 1024 * 1024;

/** What an append evicted to stay within the limit. */
export interface Evicted {
  readonly requests: number;
  /** Spans or log records (0 for metrics, counted in requests). */
  readonly records: number;
}

const NONE: Evicted = { requests: 0, records: 0 };

/**
 * Appends OTLP JSON, one export request per line, to `<dir>/<file>`: the
 * format the collector's file-based receivers ingest later. Synchronous
 * appends: each line is on disk when `append` returns; it throws if it cannot.
 * Bounded by `maxBytes`: when a line would pass it, the oldest lines are
 * dropped until the file is at half the limit (so this happens rarely), and
 * `append` returns what went.
 */
export class JsonLinesWriter {
  private ready = false;
  /** Records of the lines this writer appended, oldest first: the file's tail while it is the size this writer left it. */
  private known: number[] = [];
  private expectedSize = -1;

  constructor(
    readonly dir: string,
    private readonly file: string,
    private readonly signal: 'traces' | 'logs' | 'metrics' = 'metrics',
    private readonly maxBytes: number = LOCAL_MAX_BYTES,
  ) {}

  /** Appends one request of `records` spans or log records (0 for metrics). */
  append(request: Uint8Array, records = 0): Evicted {
    if (!this.ready) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.ready = true;
    }
    const path = join(this.dir, this.file);
    const line = `${Buffer.from(request).toString('utf8')}\n`;
    let size = 0;
    try {
      size = lstatSync(path).size;
    } catch {
      // not there yet (or taken by a replay)
    }
    // Another writer or a replay changed the file: what this writer knew of its lines no longer holds.
    if (size !== this.expectedSize) this.known = [];
    let evicted = NONE;
    if (size + Buffer.byteLength(line) > this.maxBytes) {
      const after = this.evict(path);
      evicted = after.evicted;
      size = after.size;
    }
    appendFileSync(path, line, { mode: 0o600 });
    this.known.push(records);
    this.expectedSize = size + Buffer.byteLength(line);
    return evicted;
  }

  /**
   * Drops the oldest lines until the file holds at most half the limit.
   * Records are counted from what this writer knows of its own lines; lines
   * it did not write are read for their count.
   */
  private evict(path: string): { evicted: Evicted; size: number } {
    const text = readOwnFile(path)?.toString('utf8');
    if (text === undefined) return { evicted: NONE, size: 0 };
    const lines = text.split('\n').filter((l) => l !== '');
    if (this.known.length > lines.length) this.known = [];
    const unknown = lines.length - this.known.length;
    let bytes = Buffer.byteLength(text);
    let dropped = 0;
    let records = 0;
    while (dropped < lines.length && bytes > this.maxBytes / 2) {
      const line = lines[dropped]!;
      bytes -= Buffer.byteLength(line) + 1;
      if (dropped >= unknown) records += this.known[dropped - unknown]!;
      else if (this.signal !== 'metrics') records += countRecords(Buffer.from(line, 'utf8'), 'json', this.signal) ?? 0;
      dropped++;
    }
    this.known = this.known.slice(Math.max(0, dropped - unknown));
    const kept = lines
      .slice(dropped)
      .map((l) => `${l}\n`)
      .join('');
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, kept, { mode: 0o600 });
    renameSync(temporary, path);
    return { evicted: { requests: dropped, records }, size: Buffer.byteLength(kept) };
  }
}
