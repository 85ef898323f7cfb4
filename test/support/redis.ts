import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway Redis (Debian's redis-server) on a Unix socket in a temp dir: no
 * TCP port to collide on, nothing persisted. Fails loudly when it cannot start.
 */
export class RedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'batchtel-redis-'));
  readonly socket = join(this.dir, 'redis.sock');

  async start(): Promise<this> {
    const child = spawn(
      'redis-server',
      ['--port', '0', '--unixsocket', this.socket, '--save', '', '--appendonly', 'no', '--dir', this.dir, '--daemonize', 'yes'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`redis-server did not start (install it: apt-get install redis-server): ${error.message}`)));
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`redis-server exited with ${String(code)}: ${output}`);
    const deadline = Date.now() + 10_000;
    while (!existsSync(this.socket)) {
      if (Date.now() > deadline) throw new Error(`redis-server did not open ${this.socket}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this;
  }

  /** ioredis / BullMQ connection options. */
  get connection(): { path: string; maxRetriesPerRequest: null } {
    return { path: this.socket, maxRetriesPerRequest: null };
  }

  stop(): void {
    try {
      execFileSync('redis-cli', ['-s', this.socket, 'shutdown', 'nosave'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
