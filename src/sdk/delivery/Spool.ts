import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type SpoolEncoding = 'protobuf' | 'json';

/** A spooled export request: its file name, how many records it holds and how they are encoded. */
export interface SpoolFile {
  readonly name: string;
  readonly records: number;
  readonly encoding: SpoolEncoding;
}

export interface SpoolOptions {
  readonly dir: string;
  /** `traces` or `logs`: the first part of every file name. */
  readonly prefix: string;
  readonly maxBytes: number;
  /** How this process encodes what it writes (files of other processes say their own). */
  readonly encoding: SpoolEncoding;
  readonly onEvict?: (file: SpoolFile, bytes: number) => void;
  /** fsync every write (machine-crash safety); a process crash is covered without it. */
  readonly fsync?: boolean;
}

const EXTENSION = { protobuf: 'pb', json: 'json' } as const;

/** One sequence per process: two spools on one folder in one process never pick the same name. */
let sequence = 0;
/** Files this process's spools hold: the others with this pid are a dead predecessor's (a reused pid). */
const heldHere = new Set<string>();

/** What a spool file's name says: `<prefix>-<ms>-<pid>-<seq>-<records>.<pb|json>.otlp`. */
export function parseSpoolName(name: string): { prefix: string; ms: number; pid: number; file: SpoolFile } | undefined {
  const match = /^(.+)-(\d+)-(\d+)-(\d+)-(\d+)\.(pb|json)\.otlp$/.exec(name);
  if (!match) return undefined;
  const [, prefix, ms, pid, , records, extension] = match;
  return { prefix: prefix!, ms: Number(ms), pid: Number(pid), file: { name, records: Number(records), encoding: extension === 'json' ? 'json' : 'protobuf' } };
}

/** Whether a process with this pid is running (ours counts as dead: a predecessor with a reused pid). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Export requests on disk, one file each, named
 * `<prefix>-<ms>-<pid>-<seq>-<records>.<pb|json>.otlp` so that oldest-first
 * order, the owning process, the record count and the encoding are known
 * without reading them. Files are written to a temporary name, then renamed,
 * so a crash never leaves half a request. Bounded: past `maxBytes` the oldest
 * files go, and `onEvict` says which.
 */
export class Spool {
  /** Bytes held, counted from the folder once, then kept up to date (no scan per write). */
  private total: number | undefined;

  private readonly dir: string;
  private readonly prefix: string;
  private readonly held = new Set<string>();

  constructor(private readonly options: SpoolOptions) {
    this.dir = options.dir;
    this.prefix = options.prefix;
  }

  /** Writes one request; returns its file, or undefined if it could not (disk full, permissions). */
  write(body: Uint8Array, records: number): SpoolFile | undefined {
    try {
      mkdirSync(this.dir, { recursive: true });
      const name = this.name(Date.now(), records, this.options.encoding);
      const temporary = join(this.dir, `.${name}.tmp`);
      const fd = openSync(temporary, 'w');
      try {
        writeSync(fd, body);
        if (this.options.fsync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, join(this.dir, name));
      if (this.total !== undefined) this.total += body.length;
      const file = { name, records, encoding: this.options.encoding };
      this.evict(file);
      return file;
    } catch {
      return undefined;
    }
  }

  /**
   * Takes over the files that processes no longer running left behind (renamed
   * to this process, so two live processes never send the same file), oldest
   * first. Files of a live process sharing the folder are left to it.
   */
  adopt(): SpoolFile[] {
    this.removeAbandonedWrites();
    const adopted: SpoolFile[] = [];
    for (const name of this.names()) {
      const parsed = parseSpoolName(name);
      if (!parsed || alive(parsed.pid) || heldHere.has(name)) continue;
      const claimed = this.name(parsed.ms, parsed.file.records, parsed.file.encoding);
      try {
        renameSync(join(this.dir, name), join(this.dir, claimed));
        adopted.push({ name: claimed, records: parsed.file.records, encoding: parsed.file.encoding });
      } catch {
        // another process claimed it first
      }
    }
    return adopted;
  }

  /** Half-written requests (`.<name>.tmp`) of processes that died while writing: never renamed, never to be sent. */
  private removeAbandonedWrites(): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith(`.${this.prefix}-`) || !name.endsWith('.tmp')) continue;
      const parsed = parseSpoolName(name.slice(1, -'.tmp'.length));
      if (!parsed || alive(parsed.pid) || heldHere.has(parsed.file.name)) continue;
      try {
        unlinkSync(join(this.dir, name));
      } catch {
        // gone already
      }
    }
  }

  /** This spool is done (its pipeline shut down): what it left may be adopted, also by a new spool in this process. */
  release(): void {
    for (const name of this.held) heldHere.delete(name);
    this.held.clear();
  }

  read(file: SpoolFile): Uint8Array | undefined {
    try {
      return readFileSync(join(this.dir, file.name));
    } catch {
      return undefined;
    }
  }

  /** Removes a delivered (or refused) request; false if it was already gone. */
  remove(file: SpoolFile): boolean {
    const path = join(this.dir, file.name);
    try {
      const size = statSync(path).size;
      unlinkSync(path);
      heldHere.delete(file.name);
      this.held.delete(file.name);
      if (this.total !== undefined) this.total = Math.max(0, this.total - size);
      return true;
    } catch {
      return false;
    }
  }

  /** Bytes held by this spool's files. */
  bytes(): number {
    this.total ??= this.names().reduce((sum, name) => {
      try {
        return sum + statSync(join(this.dir, name)).size;
      } catch {
        return sum;
      }
    }, 0);
    return this.total;
  }

  /** This prefix's request files in the folder, oldest first. */
  names(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(`${this.prefix}-`) && f.endsWith('.otlp') && !f.startsWith('.'))
      .sort();
  }

  private name(ms: number, records: number, encoding: SpoolEncoding): string {
    const name = `${this.prefix}-${String(ms).padStart(15, '0')}-${process.pid}-${String(sequence++).padStart(9, '0')}-${records}.${EXTENSION[encoding]}.otlp`;
    heldHere.add(name);
    this.held.add(name);
    return name;
  }

  private evict(newest: SpoolFile): void {
    if (this.bytes() <= this.options.maxBytes) return;
    for (const name of this.names()) {
      if (this.bytes() <= this.options.maxBytes || name === newest.name) return;
      const file = parseSpoolName(name)?.file;
      if (!file) continue;
      const before = this.bytes();
      if (this.remove(file)) this.options.onEvict?.(file, before - this.bytes());
    }
  }
}
