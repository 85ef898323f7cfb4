/**
 * The real components, started on 127.0.0.1 for the integration suite (and
 * `npm run stack`): the collector built from collector-config/, Prometheus,
 * promtool and Alertmanager built at the releases docker-compose.yml pins, each
 * started with compose's own flags and configuration files (only addresses,
 * paths and intervals differ). Ports are free ones picked just before the start
 * (another start taking one first means a retry on new ports); a component that
 * exits during start-up fails at once with its output. Everything started is
 * stopped again.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { startTelemetry, type TelemetryHandle } from '../../src/sdk/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The collector binary: $BATCHTEL_OTELCOL, else built (or found in the cache) by scripts/build-collector.sh. */
export function collectorBinary(): string {
  const fromEnv = process.env['BATCHTEL_OTELCOL'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const out = execFileSync('bash', ['scripts/build-collector.sh'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

/** A release .env pins for compose: `PROMETHEUS_IMAGE=prom/prometheus:v3.14.0` → `3.14.0`. */
export function pinnedRelease(variable: 'PROMETHEUS_IMAGE' | 'ALERTMANAGER_IMAGE'): string {
  return new RegExp(`^${variable}=.*:v(\\S+)$`, 'm').exec(readFileSync(join(ROOT, '.env'), 'utf8'))![1]!;
}

/** Runs scripts/build-prometheus.sh (a no-op when both are cached): Prometheus's directory, then Alertmanager's binary. */
function buildPrometheus(): [string, string] {
  const out = execFileSync('bash', ['scripts/build-prometheus.sh'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').slice(-2) as [string, string];
}

/**
 * Prometheus and promtool at the release compose pins: from
 * $BATCHTEL_PROMETHEUS_DIR, else the build cache, else built by scripts/build-prometheus.sh.
 */
export function prometheusTools(): { prometheus: string; promtool: string } {
  const cached = join(ROOT, '.cache/prometheus', pinnedRelease('PROMETHEUS_IMAGE'));
  const dir =
    [process.env['BATCHTEL_PROMETHEUS_DIR'], cached].find((d) => d && existsSync(join(d, 'prometheus')) && existsSync(join(d, 'promtool'))) ??
    buildPrometheus()[0];
  return { prometheus: join(dir, 'prometheus'), promtool: join(dir, 'promtool') };
}

/** Alertmanager at the release compose pins: $BATCHTEL_ALERTMANAGER, else the build cache, else built. */
export function alertmanagerBinary(): string {
  const cached = join(ROOT, '.cache/alertmanager', pinnedRelease('ALERTMANAGER_IMAGE'), 'alertmanager');
  return [process.env['BATCHTEL_ALERTMANAGER'], cached].find((b) => b && existsSync(b)) ?? buildPrometheus()[1];
}

/** Listens on `port` (0: the OS picks one) and closes again: the port it got, or undefined when it was taken. */
async function probe(port: number): Promise<number | undefined> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return undefined;
  const { port: got } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return got;
}

/** The lowest port of the kernel's ephemeral range, where outgoing connections and port-0 listeners get theirs. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * A port nothing listens on right now, picked at random below the ephemeral range: the tests
 * stop components and start them again on the same port, and in between no connection or
 * port-0 listener of another test file running beside this one can be given it by the
 * kernel. See `startOnFreePorts` for the race with another explicit pick.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  if (low > 11_000)
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await probe(10_000 + Math.floor(Math.random() * (low - 10_000)));
      if (port !== undefined) return port;
    }
  return (await probe(0))!;
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

// Each probe has its own deadline: something else on the port that never answers must not stall the wait.
const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

/** A component that exited while starting: its exit status and output say why. */
export class StartupExit extends Error {
  constructor(readonly process: Process) {
    super(`${process.name} exited during start-up (${process.exitDescription()}); its output:\n${process.logs().slice(-3000)}`);
  }

  /** The exit was a port taken between picking it and binding it: worth a retry on other ports. */
  get portTaken(): boolean {
    return /address already in use|bind: /i.test(this.process.logs());
  }
}

export class Process {
  private output = '';
  private readonly exited: Promise<void>;
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    // 'close' (not 'exit'): the output is complete by then.
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.once('error', (error) => keep(Buffer.from(`spawn error: ${error.message}`)));
  }

  logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  exitDescription(): string {
    return this.child.signalCode ? `signal ${this.child.signalCode}` : `exit code ${this.child.exitCode}`;
  }

  /** Resolves once `check` passes; rejects with a StartupExit as soon as the process exits, with the deadline otherwise. */
  async ready(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    let exitedFirst = false;
    const ready = waitFor(
      this.name,
      async () => {
        if (!this.running) {
          exitedFirst = true;
          return true;
        }
        return check();
      },
      timeoutMs,
      () => this.logs(),
    );
    await Promise.race([ready, this.exited.then(() => (exitedFirst = true))]);
    if (exitedFirst) {
      await this.exited;
      throw new StartupExit(this);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Picks `count` free ports and starts with them; when the process exits because
 * another process took a port in between, tries again with new ones.
 */
async function startOnFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    try {
      return await start(ports);
    } catch (error) {
      if (!(error instanceof StartupExit) || !error.portTaken || attempt >= attempts) throw error;
    }
  }
}

/** On the given port, or on a free one with retries. */
function onPorts<T>(fixed: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  return fixed === undefined ? startOnFreePorts(1, ([port]) => start(port!)) : start(fixed);
}

export interface CollectorPorts {
  grpc: number;
  http: number;
  health: number;
  metrics: number;
}

export type Collector = Process & { readonly ports: CollectorPorts; readonly endpoint: string };
export type Prometheus = Process & {
  readonly port: number;
  readonly url: string;
  /** Scrapes these collectors' self-metrics ports too (a file Prometheus watches: no restart). */
  scrape(...ports: number[]): void;
};
export type Alertmanager = Process & { readonly port: number; readonly url: string };

interface ComposeService {
  command: string[];
}

/** A service's command line in docker-compose.yml: the flags the tests start it with too. */
export function composeCommand(service: 'prometheus' | 'alertmanager'): string[] {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
  return compose.services[service]!.command;
}

/** Compose's flags with container paths and addresses replaced by local ones. */
function localFlags(service: 'prometheus' | 'alertmanager', replace: Record<string, string>): string[] {
  const flags = composeCommand(service).map((flag) => {
    const name = flag.split('=')[0]!;
    return name in replace ? `${name}=${replace[name]}` : flag;
  });
  for (const [name, value] of Object.entries(replace)) if (!flags.some((f) => f.split('=')[0] === name)) flags.push(`${name}=${value}`);
  return flags;
}

export interface PrometheusOptions {
  /** Rule files to load instead of compose's (prometheus/rules/*.yml); `[]` for none. */
  ruleFiles?: string[];
  alertmanagerPort?: number;
  /** Collectors' self-metrics ports to scrape, as compose scrapes otelcol:8888 (more later with `scrape()`). */
  scrape?: number[];
  /** The tests shorten compose's 15 s intervals to see results within seconds. */
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** A fixed port (`npm run stack`'s 9090); a free one otherwise. */
  port?: number;
}

export class Stack {
  private readonly processes: Process[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'batchtel-stack-'));

  /**
   * Starts a collector with one of collector-config/*.yaml and its environment,
   * on free ports unless `ports` are given (a restart that must keep its address).
   */
  async collector(config: string, env: Record<string, string>, options: { binary?: string; ports?: CollectorPorts } = {}): Promise<Collector> {
    const binary = options.binary ?? collectorBinary();
    const storage = env['BATCHTEL_STORAGE_DIR'] ?? mkdtempSync(join(this.dir, 'storage-'));
    const start = async (ports: CollectorPorts): Promise<Collector> => {
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
      await proc.ready(httpOk(`http://127.0.0.1:${ports.health}/`), 30_000);
      return Object.assign(proc, { ports, endpoint: `http://127.0.0.1:${ports.http}` });
    };
    if (options.ports) return start(options.ports);
    return startOnFreePorts(4, ([grpc, http, health, metrics]) => start({ grpc: grpc!, http: http!, health: health!, metrics: metrics! }));
  }

  /**
   * Prometheus with compose's flags and prometheus/prometheus.yml: the same
   * receivers, feature flags and OTLP settings; the tests' own targets, rules and intervals.
   */
  async prometheus(options: PrometheusOptions = {}): Promise<Prometheus> {
    const composed = parse(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8')) as Record<string, unknown> & {
      global: Record<string, unknown>;
      scrape_configs: Array<Record<string, unknown>>;
    };
    const dir = mkdtempSync(join(this.dir, 'prom-config-'));
    // Compose's one static target becomes a watched file: collectors started later are added to it.
    const targetsFile = join(dir, 'otelcol-targets.json');
    const targets = new Set<number>();
    const writeTargets = () => writeFileSync(targetsFile, JSON.stringify([{ targets: [...targets].map((port) => `127.0.0.1:${port}`) }]));
    const scrape = (...ports: number[]) => {
      for (const port of ports) targets.add(port);
      writeTargets();
    };
    scrape(...(options.scrape ?? []));
    const { static_configs: _static, ...otelcolJob } = composed.scrape_configs[0]!;
    const config = {
      ...composed,
      global: { ...composed.global, scrape_interval: options.scrapeInterval ?? '1s', evaluation_interval: options.evaluationInterval ?? '1s' },
      rule_files: options.ruleFiles ?? [join(ROOT, 'prometheus/rules/*.yml')],
      alerting: options.alertmanagerPort ? { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${options.alertmanagerPort}`] }] }] } : undefined,
      scrape_configs: [{ ...otelcolJob, file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }] }],
    };
    if (!config.alerting) delete config.alerting;
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, stringify(config));
    const binary = prometheusTools().prometheus;
    return onPorts(options.port, async (port) => {
      const proc = new Process('prometheus', binary, [
        ...localFlags('prometheus', {
          '--config.file': file,
          '--storage.tsdb.path': mkdtempSync(join(this.dir, 'prom-')),
          '--web.listen-address': `127.0.0.1:${port}`,
        }),
        // Firing alerts are re-sent every second, not every minute: one that fired before
        // Alertmanager was discovered reaches it within the test's patience.
        '--rules.alert.resend-delay=1s',
      ]);
      this.processes.push(proc);
      await proc.ready(httpOk(`http://127.0.0.1:${port}/-/ready`), 30_000);
      return Object.assign(proc, { port, url: `http://127.0.0.1:${port}`, scrape });
    });
  }

  /** Alertmanager with compose's flags and prometheus/alertmanager.yml, its receiver pointed at `webhookUrl` and its waits shortened. */
  async alertmanager(webhookUrl: string, options: { port?: number } = {}): Promise<Alertmanager> {
    const composed = parse(readFileSync(join(ROOT, 'prometheus/alertmanager.yml'), 'utf8')) as {
      route: Record<string, unknown>;
      receivers: Array<{ name: string; webhook_configs: Array<Record<string, unknown>> }>;
    };
    const config = {
      ...composed,
      route: { ...composed.route, group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: composed.receivers.map((r) => ({ ...r, webhook_configs: r.webhook_configs.map((w) => ({ ...w, url: webhookUrl })) })),
    };
    const file = join(mkdtempSync(join(this.dir, 'am-config-')), 'alertmanager.yml');
    writeFileSync(file, stringify(config));
    const binary = alertmanagerBinary();
    return onPorts(options.port, async (port) => {
      const proc = new Process('alertmanager', binary, [
        ...localFlags('alertmanager', {
          '--config.file': file,
          '--storage.path': mkdtempSync(join(this.dir, 'am-')),
          '--web.listen-address': `127.0.0.1:${port}`,
          // A single instance: no gossip port to collide on.
          '--cluster.listen-address': '',
        }),
      ]);
      this.processes.push(proc);
      await proc.ready(httpOk(`http://127.0.0.1:${port}/-/ready`), 30_000);
      return Object.assign(proc, { port, url: `http://127.0.0.1:${port}` });
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((p) => p.stop()));
  }
}

/** Instant query against Prometheus' HTTP API. */
export async function promQuery(port: number, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as {
    status: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`query failed: ${query}: ${body.error}`);
  return body.data.result;
}

/** Names of every series Prometheus has. */
export async function promSeriesNames(port: number): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/label/__name__/values`);
  return ((await response.json()) as { data: string[] }).data;
}

/** The OTLP metrics URL of a Prometheus: what BATCHTEL_PROMETHEUS_OTLP_URL points the agent at. */
export function otlpUrl(prometheus: { url: string }): string {
  return `${prometheus.url}/api/v1/otlp/v1/metrics`;
}

/** The SDK as an app starts it, sending to `agent` through a spool of its own; signals are left to the test runner. */
export function telemetryTo(agent: Collector, serviceName: string, metricExportIntervalMillis: number): TelemetryHandle {
  return startTelemetry({
    serviceName,
    spoolDir: mkdtempSync(join(tmpdir(), 'batchtel-spool-')),
    endpoint: agent.endpoint,
    handleSignals: false,
    metricExportIntervalMillis,
  });
}
