/**
 * The real components, started on 127.0.0.1 for the integration suite (and
 * `npm run stack`): the collector built from collector-config/, Prometheus and
 * Alertmanager from Debian. Readiness is polled with a deadline; a component
 * that cannot start fails loudly with the tail of its output. Everything
 * started is stopped again.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The collector binary: $BATCHTEL_OTELCOL, else built (or found in the cache) by scripts/build-collector.sh. */
export function collectorBinary(): string {
  const fromEnv = process.env['BATCHTEL_OTELCOL'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const out = execFileSync('bash', ['scripts/build-collector.sh'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logs?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms${logs ? `; its output:\n${logs().slice(-3000)}` : ''}`);
}

const httpOk = (url: string) => async () => (await fetch(url)).ok;

export class Process {
  private output = '';
  private exited: Promise<void>;
  readonly child: ChildProcess;

  constructor(readonly name: string, command: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('error', (error) => keep(Buffer.from(`spawn error: ${error.message}`)));
  }

  logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface CollectorPorts {
  grpc: number;
  http: number;
  health: number;
  metrics: number;
}

export class Stack {
  private readonly processes: Process[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'batchtel-stack-'));

  /** Starts a collector with one of collector-config/*.yaml and its environment. */
  async collector(config: string, ports: CollectorPorts, env: Record<string, string>, binary = collectorBinary()): Promise<Process> {
    const storage = env['BATCHTEL_STORAGE_DIR'] ?? mkdtempSync(join(this.dir, 'storage-'));
    const proc = new Process(`collector ${config}`, binary, [`--config=${join(ROOT, 'collector-config', config)}`], {
      BATCHTEL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.grpc}`,
      BATCHTEL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.http}`,
      BATCHTEL_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`,
      BATCHTEL_SELF_METRICS_PORT: String(ports.metrics),
      // Port 0: the profiler never collides with another test's ports.
      BATCHTEL_PPROF_ENDPOINT: '127.0.0.1:0',
      BATCHTEL_STORAGE_DIR: storage,
      ...env,
    });
    this.processes.push(proc);
    await waitFor(proc.name, httpOk(`http://127.0.0.1:${ports.health}/`), 30_000, () => proc.logs());
    return proc;
  }

  /** Prometheus with the remote-write receiver, scraping the given collectors' own metrics. */
  async prometheus(port: number, options: { ruleFiles?: string[]; alertmanagerPort?: number; scrape?: number[]; evaluationInterval?: string } = {}): Promise<Process> {
    const config = join(this.dir, `prometheus-${port}.yml`);
    const lines = [
      'global:',
      '  scrape_interval: 1s',
      `  evaluation_interval: ${options.evaluationInterval ?? '1s'}`,
      `rule_files: [${(options.ruleFiles ?? []).map((f) => JSON.stringify(f)).join(', ')}]`,
    ];
    if (options.alertmanagerPort) lines.push('alerting:', '  alertmanagers:', `    - static_configs: [{ targets: ['127.0.0.1:${options.alertmanagerPort}'] }]`);
    const targets = options.scrape ?? [];
    lines.push(targets.length === 0 ? 'scrape_configs: []' : 'scrape_configs:');
    for (const target of targets) lines.push(`  - job_name: otelcol-${target}`, `    static_configs: [{ targets: ['127.0.0.1:${target}'] }]`);
    writeFileSync(config, `${lines.join('\n')}\n`);
    const proc = new Process('prometheus', 'prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${mkdtempSync(join(this.dir, 'prom-'))}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--enable-feature=exemplar-storage',
      '--web.enable-lifecycle',
      // Firing alerts are re-sent every second, not every minute: one that fired before
      // Alertmanager was discovered reaches it within the test's patience.
      '--rules.alert.resend-delay=1s',
    ]);
    this.processes.push(proc);
    await waitFor('prometheus', httpOk(`http://127.0.0.1:${port}/-/ready`), 30_000, () => proc.logs());
    return proc;
  }

  /** Alertmanager sending every alert to a webhook. */
  async alertmanager(port: number, webhookUrl: string): Promise<Process> {
    const config = join(this.dir, `alertmanager-${port}.yml`);
    writeFileSync(
      config,
      [
        'route:',
        '  receiver: webhook',
        "  group_by: ['alertname']",
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: webhook',
        '    webhook_configs:',
        `      - url: ${JSON.stringify(webhookUrl)}`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    const proc = new Process('alertmanager', 'prometheus-alertmanager', [
      `--config.file=${config}`,
      `--storage.path=${mkdtempSync(join(this.dir, 'am-'))}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--cluster.listen-address=`,
    ]);
    this.processes.push(proc);
    await waitFor('alertmanager', httpOk(`http://127.0.0.1:${port}/-/ready`), 30_000, () => proc.logs());
    return proc;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((p) => p.stop()));
  }
}

/** Instant query against Prometheus' HTTP API. */
export async function promQuery(port: number, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
  if (body.status !== 'success') throw new Error(`query failed: ${query}: ${body.error}`);
  return body.data.result;
}

/** Names of every series Prometheus has. */
export async function promSeriesNames(port: number): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/label/__name__/values`);
  return ((await response.json()) as { data: string[] }).data;
}

