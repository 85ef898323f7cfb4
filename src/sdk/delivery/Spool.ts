import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { countRecords } from './countRecords.js';
import { isOwnFile, readOwnFile } from './ownFile.js';

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
  /** Also fsync the folder after each rename, so the new name survives a machine crash (each file is always fsynced before its rename). */
  readonly fsync?: boolean;
}

const EXTENSION = { protobuf: 'pb', json: 'json' } as const;

/** One sequence per process: two spools on one folder in one process never pick the same name. */
let sequence = 0;
/** Files this process's spools hold: the others with this pid are a dead predecessor's (a reused pid). */
const heldHere = new Set<string>();
/** Spool problems already reported, by folder and cause: the traces and logs spools share a folder and say it once. */
const warned = new Set<string>();

/** What a spool file's name says: `<prefix>-<ms>-<pid>-<seq>-<records>.<pb|json>.otlp` (the record count is a hint for people; counts come from the content). */
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

/** Writes all of `body` (a short write is retried; no progress throws), fsynced. */
function writeFully(fd: number, body: Uint8Array): void {
  let offset = 0;
  while (offset < body.length) {
    const n = writeSync(fd, body, offset, body.length - offset);
    if (n <= 0) throw Object.assign(new Error('no progress writing the spool'), { code: 'ENOSPC' });
    offset += n;
  }
  fsyncSync(fd);
}

/**
 * Export requests on disk, one file each, named
 * `<prefix>-<ms>-<pid>-<seq>-<records>.<pb|json>.otlp` so that oldest-first
 * order, the owning process and the encoding are known without reading them.
 * Each file is written whole to a temporary name, checked, fsynced, then
 * renamed: a full disk or a crash never leaves part of a request under a
 * final name. Bounded: past `maxBytes` the oldest files go, and `onEvict`
 * says which. Nothing in the folder is trusted: only regular files owned by
 * this user are adopted and read (never through a symlink), and record counts
 * come from the content. A folder that cannot be used (a file in its place,
 * not writable) is no error: nothing is written, the sender keeps requests
 * in memory, and one warning says so.
 */
export class Spool {
  /** Bytes held, counted from the folder once, then kept up to date (no scan per write). */
  private total: number | undefined;

  private readonly dir: string;
  private readonly prefix: string;
  private readonly held = new Set<string>();
  /** Records per file this spool wrote or adopted (known, not read from a name). */
  private readonly records = new Map<string, number>();
  private readonly usable: boolean;

  constructor(private readonly options: SpoolOptions) {
    this.dir = options.dir;
    this.prefix = options.prefix;
    this.usable = this.prepare();
  }

  /** Whether the folder can hold requests (false: memory-only delivery). */
  get available(): boolean {
    return this.usable;
  }

  /** Writes one request; returns its file, or undefined if it could not (disk full, permissions): then nothing of it is left on disk. */
  write(body: Uint8Array, records: number): SpoolFile | undefined {
    if (!this.usable) return undefined;
    const name = this.name(Date.now(), records, this.options.encoding);
    const temporary = join(this.dir, `.${name}.tmp`);
    let fd: number | undefined;
    try {
      fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      writeFully(fd, body);
      closeSync(fd);
      fd = undefined;
      renameSync(temporary, join(this.dir, name));
      if (this.options.fsync) this.syncFolder();
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      try {
        unlinkSync(temporary);
      } catch {
        // never created
      }
      this.forget(name);
      this.warn(
        (error as { code?: string }).code ?? 'write_error',
        `the spool ${this.dir} cannot be written (${(error as { code?: string }).code ?? (error as Error).name}); requests are held in memory (bounded) and what is still there at exit is lost, counted as spool_unavailable`,
      );
      return undefined;
    }
    if (this.total !== undefined) this.total += body.length;
    this.records.set(name, records);
    const file = { name, records, encoding: this.options.encoding };
    this.evict(file);
    return file;
  }

  /**
   * Takes over the files that processes no longer running left behind (renamed
   * to this process, so two live processes never send the same file), oldest
   * first, each counted from its content; one that is not a whole request (cut
   * short) is removed. Files of a live process sharing the folder are left to it,
   * and so is anything that is not a regular file owned by this user.
   */
  adopt(): SpoolFile[] {
    if (!this.usable) return [];
    this.removeAbandonedWrites();
    const adopted: SpoolFile[] = [];
    for (const name of this.names()) {
      const parsed = parseSpoolName(name);
      if (!parsed || alive(parsed.pid) || heldHere.has(name)) continue;
      const claimed = this.name(parsed.ms, parsed.file.records, parsed.file.encoding);
      try {
        renameSync(join(this.dir, name), join(this.dir, claimed));
      } catch {
        // another process claimed it first
        this.forget(claimed);
        continue;
      }
      const body = readOwnFile(join(this.dir, claimed));
      const records = body && countRecords(body, parsed.file.encoding, this.prefix === 'traces' ? 'traces' : 'logs');
      if (records === undefined) {
        this.warn('invalid_file', `a file in the spool ${this.dir} is not a whole export request (cut short by a full disk or a crash); it was removed unsent`);
        this.unlink(claimed);
        continue;
      }
      this.records.set(claimed, records);
      adopted.push({ name: claimed, records, encoding: parsed.file.encoding });
    }
    this.total = undefined;
    return adopted;
  }

  /** Half-written requests (`.<name>.tmp`) of processes that died while writing: never renamed, never to be sent. */
  private removeAbandonedWrites(): void {
    for (const name of this.list()) {
      if (!name.startsWith(`.${this.prefix}-`) || !name.endsWith('.tmp')) continue;
      const parsed = parseSpoolName(name.slice(1, -'.tmp'.length));
      if (!parsed || alive(parsed.pid) || heldHere.has(parsed.file.name) || !isOwnFile(join(this.dir, name))) continue;
      this.unlink(name);
    }
  }

  /** This spool is done (its pipeline shut down): what it left may be adopted, also by a new spool in this process. */
  release(): void {
    for (const name of this.held) heldHere.delete(name);
    this.held.clear();
  }

  read(file: SpoolFile): Uint8Array | undefined {
    if (!this.usable) return undefined;
    return readOwnFile(join(this.dir, file.name));
  }

  /** Removes a delivered (or refused) request; false if it was already gone. */
  remove(file: SpoolFile): boolean {
    const path = join(this.dir, file.name);
    let size: number;
    try {
      size = lstatSync(path).size;
      unlinkSync(path);
    } catch {
      return false;
    }
    this.forget(file.name);
    if (this.total !== undefined) this.total = Math.max(0, this.total - size);
    return true;
  }

  /** Bytes held by this spool's files. */
  bytes(): number {
    this.total ??= this.names().reduce((sum, name) => {
      try {
        return sum + lstatSync(join(this.dir, name)).size;
      } catch {
        return sum;
      }
    }, 0);
    return this.total;
  }

  /** This prefix's request files in the folder, oldest first: regular files owned by this user only. */
  names(): string[] {
    if (!this.usable) return [];
    let entries;
    try {
      entries = readdirSync(this.dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries
      .filter(
        (e) =>
          e.isFile() &&
          e.name.startsWith(`${this.prefix}-`) &&
          e.name.endsWith('.otlp') &&
          parseSpoolName(e.name) !== undefined &&
          isOwnFile(join(this.dir, e.name)),
      )
      .map((e) => e.name)
      .sort();
  }

  /** Creates the folder (0700: the spool holds telemetry) and checks it is one this process can write to. */
  private prepare(): boolean {
    try {
      const created = mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (created !== undefined) chmodSync(this.dir, 0o700);
      const stat = lstatSync(this.dir);
      if (!stat.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      // Read-only (EROFS) or not ours to write (EACCES): memory-only from the start, said once.
      accessSync(this.dir, constants.R_OK | constants.W_OK | constants.X_OK);
      readdirSync(this.dir);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      this.warn(
        'unusable',
        `the spool folder ${this.dir} cannot be used (${code}); telemetry is sent from memory only, and what is not delivered by exit is lost, counted as spool_unavailable`,
      );
      return false;
    }
  }

  private list(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  private unlink(name: string): void {
    try {
      unlinkSync(join(this.dir, name));
    } catch {
      // gone already
    }
    this.forget(name);
  }

  private forget(name: string): void {
    heldHere.delete(name);
    this.held.delete(name);
    this.records.delete(name);
  }

  private syncFolder(): void {
    const fd = openSync(this.dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Once per folder and cause in this process: a full disk is a warning, not a log flood. */
  private warn(cause: string, message: string): void {
    const key = `${this.dir}\0${cause}`;
    if (warned.has(key)) return;
    warned.add(key);
    diag.warn(`batchtel: ${message}`);
  }

  private name(ms: number, records: number, encoding: SpoolEncoding): string {
    const name = `${this.prefix}-${String(ms).padStart(15, '0')}-${process.pid}-${String(sequence++).padStart(9, '0')}-${records}.${EXTENSION[encoding]}.otlp`;
    heldHere.add(name);
    this.held.add(name);
    return name;
  }

  /** Records of a file about to be evicted: known if this spool holds it, else read from it (a name is not trusted). */
  private recordsOf(name: string, encoding: SpoolEncoding): number {
    const known = this.records.get(name);
    if (known !== undefined) return known;
    const body = readOwnFile(join(this.dir, name));
    return (body && countRecords(body, encoding, this.prefix === 'traces' ? 'traces' : 'logs')) ?? 0;
  }

  private evict(newest: SpoolFile): void {
    if (this.bytes() <= this.options.maxBytes) return;
    for (const name of this.names()) {
      if (this.bytes() <= this.options.maxBytes || name === newest.name) return;
      const parsed = parseSpoolName(name)?.file;
      if (!parsed) continue;
      const file = { ...parsed, records: this.recordsOf(name, parsed.encoding) };
      const before = this.bytes();
      if (this.remove(file)) this.options.onEvict?.(file, before - this.bytes());
    }
  }
}
