import { restoreEnv } from '../support/env.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRegistry, trackBatch } from '../../src/index.js';
import { startTelemetry } from '../../src/sdk/index.js';
import * as promNames from '../../src/prometheusNames.js';
import * as sc from '../../src/semconv.js';
import { OtlpSink } from '../support/otlpSink.js';
import { collectorBinary, otlpUrl, promQuery, Stack, waitFor, type Collector, type Prometheus, telemetryTo } from '../support/stack.js';

const CANARY = 'canary-col-4e2b';

let binary: string;
beforeAll(() => {
  binary = collectorBinary();
}, 900_000);

/** Spans the raw SDK sends with no redaction of its own: the collector must mask them. */
async function sendUnredacted(endpoint: string, traces: number, error: boolean): Promise<number> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'raw-app' }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) })],
  });
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }) })] });
  const tracer = provider.getTracer('raw');
  let spans = 0;
  for (let i = 0; i < traces; i++) {
    const root = tracer.startSpan('raw parent', {
      root: true,
      attributes: { 'http.request.header.authorization': `Bearer ${CANARY}`, 'url.full': `https://bot:${CANARY}@api.example.com/x?token=${CANARY}` },
    });
    if (error) root.setStatus({ code: SpanStatusCode.ERROR, message: `failed api_key=${CANARY}` });
    root.end();
    spans++;
  }
  loggerProvider
    .getLogger('raw')
    .emit({ severityNumber: SeverityNumber.ERROR, body: `login failed for https://u:${CANARY}@db.local/ with Bearer ${CANARY}`, eventName: 'raw.failure' });
  await provider.shutdown();
  await loggerProvider.shutdown();
  return spans;
}

/** A run of `total` items in chunks of 5 whose chunk `failAt` fails with an upstream 503. */
async function jobWithFailingChunk(name: string, operation: string, total: number, failAt: number): Promise<void> {
  const run = trackBatch({ name, operation, total, display: 'none', registry: new RunRegistry() });
  await run.process(
    Array.from({ length: total }, (_, i) => i),
    async (_chunk, { index }) => {
      if (index === failAt) throw Object.assign(new Error('upstream 503'), { status: 503 });
    },
    { chunkSize: 5 },
  );
}

describe('the real collector, Prometheus and the trace/log backends', () => {
  const stack = new Stack();
  const tempo = new OtlpSink();
  const loki = new OtlpSink();
  let agent: Collector;
  let prom: Prometheus;
  let PROM: number;
  let tempoUrl: string;
  const agentEnv: Record<string, string> = {
    BATCHTEL_OTLP_ENCODING: 'json',
    BATCHTEL_DECISION_WAIT: '1s',
    // Keep only errors and slow chunks, so the test can see tail sampling drop the rest.
    BATCHTEL_SAMPLE_PERCENT: '0',
    // The same folder across a restart: that is what makes the queue persistent.
    BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'batchtel-agent-')),
  };

  beforeAll(async () => {
    tempoUrl = await tempo.start();
    agentEnv['BATCHTEL_TRACES_URL'] = `${tempoUrl}/v1/traces`;
    agentEnv['BATCHTEL_LOGS_URL'] = `${await loki.start()}/v1/logs`;
    prom = await stack.prometheus();
    PROM = prom.port;
    agentEnv['BATCHTEL_PROMETHEUS_OTLP_URL'] = otlpUrl(prom);
    agent = await stack.collector('agent.yaml', agentEnv, { binary });
    prom.scrape(agent.ports.metrics);
  }, 120_000);

  afterAll(async () => {
    await stack.stop();
    await Promise.all([tempo.stop(), loki.stop()]);
  });

  it('every config validates with the built collector', async () => {
    const { execFileSync } = await import('node:child_process');
    for (const config of ['agent.yaml', 'gateway.yaml', 'agent-loadbalancing.yaml']) {
      execFileSync(binary, ['validate', `--config=collector-config/${config}`], {
        cwd: join(import.meta.dirname, '../..'),
        env: { ...process.env, BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'validate-')), BATCHTEL_GATEWAYS: '[127.0.0.1:1, 127.0.0.1:2]' },
      });
    }
  });

  it('a batch job through batchtel/sdk: metrics in Prometheus, the error trace and its logs at the backends, healthy traces sampled out, secrets masked', async () => {
    const telemetry = telemetryTo(agent, 'collector-check', 1000);
    await jobWithFailingChunk('collector check', 'collector_check', 40, 2);
    const healthy = trackBatch({ name: 'healthy check', operation: 'healthy_check', total: 10, display: 'none', registry: new RunRegistry() });
    await healthy.process(
      Array.from({ length: 10 }, (_, i) => i),
      async () => {},
      { batchSize: 5 },
    );
    await telemetry.shutdown();
    const rawSpans = await sendUnredacted(agent.endpoint, 3, true);

    // Metrics, under the Prometheus names the contract says.
    const items = `sum(${promNames.PROM.itemsProcessed}{${promNames.PROM_LABEL.operation}="collector_check"})`;
    await waitFor('items in Prometheus', async () => (await promQuery(PROM, items))[0]?.value[1] === '40', 30_000);
    expect(
      (
        await promQuery(
          PROM,
          `sum(${promNames.PROM.itemsProcessed}{${promNames.PROM_LABEL.operation}="collector_check", ${promNames.PROM_LABEL.outcome}="failure"})`,
        )
      )[0]?.value[1],
    ).toBe('5');
    for (const name of [`${promNames.PROM.chunkDuration}_bucket`, `${promNames.PROM.runDuration}_count`, promNames.PROM.errors]) {
      const result = await promQuery(PROM, `${name}{${promNames.PROM_LABEL.operation}="collector_check"}`);
      expect(result.length, name).toBeGreaterThan(0);
    }
    expect(
      (await promQuery(PROM, `${promNames.PROM.errors}{${promNames.PROM_LABEL.operation}="collector_check"}`))[0]?.metric[promNames.PROM_LABEL.errorType],
    ).toBe('503');

    // Traces: the failing run's whole trace is kept (tail sampling keeps errors), the healthy one is not.
    await waitFor('the error trace at the trace backend', async () => tempo.spans().some((s) => s.name === 'batch collector_check'), 30_000);
    await waitFor('the raw error spans', async () => tempo.spans().filter((s) => s.name === 'raw parent').length === rawSpans, 30_000);
    const spans = tempo.spans() as unknown as Array<{ name: string; spanId: string; parentSpanId?: string; traceId: string }>;
    const run = spans.find((s) => s.name === 'batch collector_check')!;
    const chunks = spans.filter((s) => s.name === 'batch.chunk collector_check');
    expect(chunks).toHaveLength(8);
    for (const chunk of chunks) {
      expect(chunk.traceId).toBe(run.traceId);
      expect(chunk.parentSpanId).toBe(run.spanId);
    }
    expect(spans.some((s) => s.name === 'batch healthy_check')).toBe(false);

    // Logs: the exception event, correlated to the failing chunk's trace.
    await waitFor(
      'logs at the log backend',
      async () => loki.logRecords().some((l) => l.eventName === sc.EVENT_EXCEPTION) && loki.logRecords().some((l) => l.eventName === 'raw.failure'),
      30_000,
    );
    const exception = loki.logRecords().find((l) => l.eventName === sc.EVENT_EXCEPTION) as unknown as { traceId: string };
    expect(exception.traceId).toBe(run.traceId);

    // Secrets: masked by the collector for the app that did not redact.
    const everything = tempo.allText() + loki.allText();
    expect(everything).toContain('[REDACTED]');
    expect(everything).not.toContain(CANARY);

    console.log(
      `sent vs received: traces ${8 + 1 + 2 + 1 + rawSpans} spans sent (failing run 9, healthy run 3, raw ${rawSpans}), ${tempo.spans().length} received (healthy run sampled out); ` +
        `logs ${loki.logRecords().length} received; metrics: ${items} = 40 of 40 items`,
    );
  });

  it('what the local default wrote with no collector running, `batchtel local replay` delivers through the real collector', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-local-'));
    const saved = { ...process.env };
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete process.env['OTEL_EXPORTER_OTLP_PROTOCOL'];
    try {
      // No endpoint configured and nothing on 127.0.0.1:4318 (the agent here listens elsewhere): all of it goes to the folder.
      const telemetry = startTelemetry({ serviceName: 'offline-check', handleSignals: false, localDir: dir, spoolDir: join(dir, 'spool'), timeoutMillis: 500 });
      await jobWithFailingChunk('offline check', 'offline_check', 20, 1);
      await telemetry.shutdown();
    } finally {
      restoreEnv(saved);
    }
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/batchtel.ts', 'local', 'replay', '--dir', dir, '--endpoint', agent.endpoint], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
    });
    expect(out).toMatch(/traces: (\d+) requests found, \1 delivered, 0 lost, 0 still waiting/);
    expect(out).toMatch(/logs: (\d+) requests found, \1 delivered, 0 lost, 0 still waiting/);
    expect(out).toMatch(/metrics: (\d+) requests found, \1 delivered, 0 lost, 0 still waiting/);

    // The collector took the lines as the OTLP requests they are: the error trace, its logs and the metrics arrive.
    await waitFor(
      'the replayed error trace at the trace backend',
      async () => tempo.spans().filter((s) => s.name === 'batch.chunk offline_check').length === 4,
      30_000,
    );
    expect(tempo.spans().some((s) => s.name === 'batch offline_check')).toBe(true);
    await waitFor(
      'the replayed exception at the log backend',
      async () => loki.logRecords().some((l) => l.eventName === sc.EVENT_EXCEPTION && JSON.stringify(l).includes('offline_check')),
      30_000,
    );
    const items = `sum(${promNames.PROM.itemsProcessed}{${promNames.PROM_LABEL.operation}="offline_check"})`;
    await waitFor('the replayed metrics in Prometheus', async () => (await promQuery(PROM, items))[0]?.value[1] === '20', 30_000);
    console.log(`local replay through the collector: ${out.trim().split('\n').join('; ')}`);
  });

  it('a backend outage and a collector restart during it lose nothing (persistent queue)', async () => {
    const before = tempo.spans().filter((s) => s.name === 'raw parent').length;
    await tempo.stop();
    const sent = await sendUnredacted(agent.endpoint, 20, true);
    // Wait until the decisions are made and the spans sit in the on-disk queue, then restart the collector.
    await waitFor(
      'spans queued for the unreachable backend',
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${agent.ports.metrics}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('otelcol_exporter_queue_size') && l.includes('tempo'));
        return line !== undefined && Number(line.split(' ').pop()) > 0;
      },
      30_000,
    );
    await agent.stop();
    agent = await stack.collector('agent.yaml', agentEnv, { binary, ports: agent.ports });
    await tempo.start(Number(new URL(tempoUrl).port));
    await waitFor(
      'every queued span delivered after the restart',
      async () => tempo.spans().filter((s) => s.name === 'raw parent').length >= before + sent,
      60_000,
    );
    const received = tempo.spans().filter((s) => s.name === 'raw parent').length - before;
    console.log(`backend outage + collector restart: sent ${sent} spans, received ${received}`);
    expect(received).toBe(sent);
  });
});
