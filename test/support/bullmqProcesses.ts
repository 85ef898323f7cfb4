import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './stack.js';

/** A fixture process whose stdout lines are kept whole: JSON lines parsed, the rest as text. */
export class FixtureProcess {
  readonly child: ChildProcess;
  readonly events: Array<Record<string, unknown> & { ev: string; at: number }> = [];
  readonly lines: string[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    fixture: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        if (line.startsWith('{')) {
          try {
            this.events.push(JSON.parse(line) as Record<string, unknown> & { ev: string; at: number });
          } catch {
            // a progress line that happens to start with a brace
          }
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-8000)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return `${this.name} stdout (tail):\n${this.lines.slice(-30).join('\n')}\nstderr:\n${this.stderr}`;
  }

  /** Waits for an event (polling its own output, no sleep-for-state). */
  async waitFor(what: string, predicate: (p: this) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (!this.running && !predicate(this)) throw new Error(`${this.name} exited before ${what}\n${this.logs()}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  kill9(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
