import { existsSync, fsyncSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Export requests that could not be delivered, on disk, one file each, oldest
 * first by name. Bounded: past `maxBytes` the oldest files are evicted and
 * counted. Files are written to a temporary name, synced, then renamed, so a
 * crash never leaves half a request to replay.
 */
export class Spool {
  private seq = 0;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly maxBytes: number,
    private readonly onEvict: (bytes: number) => void = () => {},
  ) {}

  /** Writes one request; returns false if it could not (disk full, permissions). */
  write(body: Uint8Array): boolean {
    try {
      mkdirSync(this.dir, { recursive: true });
      const name = `${this.prefix}-${String(Date.now()).padStart(15, '0')}-${process.pid}-${String(this.seq++).padStart(6, '0')}.otlp`;
      const temporary = join(this.dir, `.${name}.tmp`);
      const fd = openSync(temporary, 'w');
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, join(this.dir, name));
      this.evict();
      return true;
    } catch {
      return false;
    }
  }

  /** Spooled requests of this prefix, oldest first. */
  files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(`${this.prefix}-`) && f.endsWith('.otlp'))
      .sort();
  }

  read(file: string): Uint8Array | undefined {
    try {
      return readFileSync(join(this.dir, file));
    } catch {
      return undefined;
    }
  }

  remove(file: string): void {
    try {
      unlinkSync(join(this.dir, file));
    } catch {
      // already gone (another process replayed it)
    }
  }

  bytes(): number {
    return this.files().reduce((sum, f) => {
      try {
        return sum + statSync(join(this.dir, f)).size;
      } catch {
        return sum;
      }
    }, 0);
  }

  private evict(): void {
    let total = this.bytes();
    for (const file of this.files()) {
      if (total <= this.maxBytes) return;
      let size = 0;
      try {
        size = statSync(join(this.dir, file)).size;
      } catch {
        continue;
      }
      this.remove(file);
      total -= size;
      this.onEvict(size);
    }
  }
}
