import { restoreEnv } from '../support/env.js';
import { execFile, spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { logs } from '@opentelemetry/api-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { RunRegistry, trackBatch } from '../../src/index.js';
import { startTelemetry } from '../../src/sdk/index.js';
import * as sc from '../../src/semconv.js';
import { bundledFixture } from '../support/bundledFixture.js';
import { OtlpSink } from '../support/otlpSink.js';
import { waitFor } from '../support/stack.js';

const CANARY = 'canary-9d1e-s3cr3t';
/** Each pipeline its own spool: a shared one would hand one test's leftovers to the next. */
const tempSpool = () => mkdtempSync(join(tmpdir(), 'batchtel-spool-'));
const sinks: OtlpSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  diag.disable();
});

async function sink(): Promise<[OtlpSink, string]> {
  const s = new OtlpSink();
  sinks.push(s);
  return [s, await s.start()];
}

async function workload(): Promise<void> {
  const run = trackBatch({
    name: 'sdk check',
    operation: 'sdk_check',
    total: 6,
    display: 'none',
    registry: new RunRegistry(),
    metadata: { endpoint: `https://svc:${CANARY}@api.example.com/v1`, api_key: CANARY },
  });
  await run.process(
    [1, 2, 3, 4, 5, 6],
    async (_chunk, { index }) => {
      if (index === 1) throw new Error(`401 from https://api.example.com/items?token=${CANARY} (Authorization: Bearer ${CANARY})`);
    },
    { batchSize: 2 },
  );
}

describe('startTelemetry against a real OTLP/HTTP endpoint', () => {
  it('delivers spans, metrics and log events, with every planted secret masked', async () => {
    const [s, url] = await sink();
    const output: string[] = [];
    // The diagnostic logger at DEBUG must not print secrets either.
    diag.setLogger(
      {
        error: (...a) => output.push(a.join(' ')),
        warn: (...a) => output.push(a.join(' ')),
        info: (...a) => output.push(a.join(' ')),
        debug: (...a) => output.push(a.join(' ')),
        verbose: (...a) => output.push(a.join(' ')),
      },
      DiagLogLevel.ALL,
    );
    const telemetry = startTelemetry({
      serviceName: 'sdk-test',
      spoolDir: tempSpool(),
      endpoint: url,
      protocol: 'http/json',
      handleSignals: false,
      headers: { authorization: `Bearer ${CANARY}` },
    });
    await workload();
    await telemetry.shutdown();

    const spans = s.spans();
    expect(spans.map((x) => x.name)).toEqual(expect.arrayContaining(['batch sdk_check', 'batch.chunk sdk_check']));
    expect(s.logRecords().map((l) => l.eventName)).toEqual(
      expect.arrayContaining([sc.EVENT_BATCH_RUN_STARTED, sc.EVENT_EXCEPTION, sc.EVENT_BATCH_RUN_FINISHED]),
    );
    expect([...s.metricNames()]).toEqual(
      expect.arrayContaining([sc.METRIC_BATCH_ITEMS_PROCESSED, sc.METRIC_BATCH_CHUNK_DURATION, sc.METRIC_BATCH_RUN_DURATION]),
    );
    // The SDK's own export health: what it delivered, before the final export.
    expect([...s.metricNames()]).toEqual(expect.arrayContaining([sc.METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED, sc.METRIC_OTEL_SDK_EXPORTER_LOG_EXPORTED]));
    const received = s.allText();
    expect(received).toContain('sdk check');
    expect(received).not.toContain(CANARY);
    expect(received).toContain('[REDACTED]');
    expect(output.join('\n')).not.toContain(CANARY);
  });

  it('speaks protobuf by default, gzip on', async () => {
    const [s, url] = await sink();
    const telemetry = startTelemetry({ serviceName: 'sdk-proto', spoolDir: tempSpool(), endpoint: url, handleSignals: false });
    await workload();
    await telemetry.shutdown();
    expect(s.of('traces').length).toBeGreaterThan(0);
    for (const request of s.received) expect(request.contentType).toBe('application/x-protobuf');
    expect(s.allText()).toContain('batch.chunk sdk_check');
    expect(s.allText()).not.toContain(CANARY);
  });

  it('honours OTEL_* variables: the endpoint from the environment, a signal turned off', async () => {
    const [s, url] = await sink();
    const saved = { ...process.env };
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = url;
    process.env['OTEL_EXPORTER_OTLP_PROTOCOL'] = 'http/json';
    process.env['OTEL_METRICS_EXPORTER'] = 'none';
    process.env['OTEL_SERVICE_NAME'] = 'from-env';
    try {
      const telemetry = startTelemetry({ spoolDir: tempSpool(), handleSignals: false });
      expect(telemetry.destination).toContain('metrics → none');
      await workload();
      await telemetry.shutdown();
    } finally {
      restoreEnv(saved);
    }
    expect(s.of('metrics')).toHaveLength(0);
    expect(s.of('traces').length).toBeGreaterThan(0);
    const resource = (s.of('traces')[0]!.json as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue: string } }> } }> })
      .resourceSpans[0]!.resource;
    expect(resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue).toBe('from-env');
  });

  it('honours per-signal variables: the signal headers over the common ones, its own endpoint (as given, not the local default)', async () => {
    const [s, url] = await sink();
    const seen: Array<{ path: string; tenant: string | undefined; scope: string | undefined; type: string | undefined }> = [];
    s.respondWith = (request) => {
      seen.push({
        path: request.url ?? '',
        tenant: request.headers['x-tenant'] as string,
        scope: request.headers['x-scope'] as string,
        type: request.headers['content-type'],
      });
      return undefined;
    };
    const saved = { ...process.env };
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete process.env['OTEL_EXPORTER_OTLP_PROTOCOL'];
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = `${url}/custom/traces`;
    process.env['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'] = `${url}/custom/logs`;
    process.env['OTEL_METRICS_EXPORTER'] = 'none';
    process.env['OTEL_EXPORTER_OTLP_HEADERS'] = 'x-tenant=common';
    process.env['OTEL_EXPORTER_OTLP_TRACES_HEADERS'] = 'x-tenant=traces-tenant,x-scope=traces';
    try {
      const telemetry = startTelemetry({ serviceName: 'per-signal', spoolDir: tempSpool(), handleSignals: false });
      expect(telemetry.destination).not.toContain('else');
      await workload();
      await telemetry.shutdown();
    } finally {
      restoreEnv(saved);
    }
    const traces = seen.filter((r) => r.path === '/custom/traces');
    const logRequests = seen.filter((r) => r.path === '/custom/logs');
    expect(traces.length).toBeGreaterThan(0);
    expect(logRequests.length).toBeGreaterThan(0);
    expect(traces.every((r) => r.tenant === 'traces-tenant' && r.scope === 'traces' && r.type === 'application/x-protobuf')).toBe(true);
    expect(logRequests.every((r) => r.tenant === 'common' && r.scope === undefined)).toBe(true);
  });

  it('honours OTEL_SDK_DISABLED (nothing registered, nothing sent) and OTEL_LOG_LEVEL (the SDK reports on the console)', async () => {
    const [s, url] = await sink();
    const saved = { ...process.env };
    process.env['OTEL_SDK_DISABLED'] = 'true';
    try {
      const telemetry = startTelemetry({ serviceName: 'disabled', endpoint: url, spoolDir: tempSpool(), handleSignals: false });
      expect(telemetry.destination).toContain('OTEL_SDK_DISABLED');
      await workload();
      await telemetry.shutdown();
    } finally {
      restoreEnv(saved);
    }
    expect(s.received).toEqual([]);

    // A refusal the pipeline reports through diag reaches the console once OTEL_LOG_LEVEL asks for it (a real process: its stderr).
    s.respondWith = () => ({ status: 400 });
    const producer = (extra: Record<string, string>) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/delivery-producer.ts'], {
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
        env: { ...process.env, ENDPOINT: url, COUNT: '10', SPOOL_DIR: tempSpool(), ...extra },
      });
    expect((await producer({ OTEL_LOG_LEVEL: 'error' })).stderr).toContain('the endpoint refused an export with 400');
    expect((await producer({})).stderr).not.toContain('refused');
  });

  it('honours OTEL_TRACES_SAMPLER: always_off keeps every span out while the logs still flow', async () => {
    const [s, url] = await sink();
    const saved = { ...process.env };
    process.env['OTEL_TRACES_SAMPLER'] = 'always_off';
    try {
      const telemetry = startTelemetry({ serviceName: 'sampled-out', endpoint: url, protocol: 'http/json', spoolDir: tempSpool(), handleSignals: false });
      await workload();
      await telemetry.shutdown();
    } finally {
      restoreEnv(saved);
    }
    expect(s.spans()).toEqual([]);
    expect(s.logRecords().length).toBeGreaterThan(0);
  });

  it('with no collector at the default endpoint, writes OTLP JSON lines locally and says so once, losing nothing from a tight loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-local-'));
    const messages: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      messages.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    const saved = { ...process.env };
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete process.env['OTEL_EXPORTER_OTLP_PROTOCOL'];
    // More than the stock batch processor's queue would hold, with no yield in between.
    const TIGHT = 100_000;
    let stats: ReturnType<ReturnType<typeof startTelemetry>['deliveryStats']> = [];
    try {
      // Nothing listens on the default 127.0.0.1:4318 in the test environment: the stack tests use other ports.
      const telemetry = startTelemetry({ serviceName: 'offline', handleSignals: false, localDir: dir, spoolDir: join(dir, 'spool'), timeoutMillis: 500 });
      expect(telemetry.destination).toContain('(http/json, else');
      await workload();
      const logger = logs.getLogger('tight');
      for (let i = 0; i < TIGHT; i++) logger.emit({ body: 'tight', attributes: { seq: i } });
      await telemetry.shutdown();
      stats = telemetry.deliveryStats();
    } finally {
      process.stderr.write = write;
      restoreEnv(saved);
    }
    const lines = (file: string) =>
      readFileSync(join(dir, file), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    const spans = lines('traces.jsonl').flatMap((r) =>
      r.resourceSpans.flatMap((rs: { scopeSpans: Array<{ spans: unknown[] }> }) => rs.scopeSpans.flatMap((ss) => ss.spans)),
    );
    expect(spans.length).toBeGreaterThan(0);
    const records = lines('logs.jsonl').flatMap((r) =>
      r.resourceLogs.flatMap((rl: { scopeLogs: Array<{ logRecords: Array<{ body?: { stringValue?: string } }> }> }) =>
        rl.scopeLogs.flatMap((sl) => sl.logRecords),
      ),
    );
    expect(records.filter((record) => record.body?.stringValue === 'tight')).toHaveLength(TIGHT);
    expect(readFileSync(join(dir, 'logs.jsonl'), 'utf8')).not.toContain(CANARY);
    expect(messages.filter((m) => m.includes('no OpenTelemetry Collector'))).toHaveLength(1);
    expect(messages.find((m) => m.includes('no OpenTelemetry Collector'))).toContain(`written to ${dir} instead`);
    // Everything accepted reached the folder: nothing dropped, nothing left behind.
    for (const signal of stats) {
      expect(signal.dropped, signal.signal).toEqual({});
      expect(signal.pending, signal.signal).toBe(0);
      expect(signal.writtenLocally, signal.signal).toBe(signal.accepted);
    }
    expect(stats.find((s) => s.signal === 'logs')!.accepted).toBe(records.length);
    expect(stats.find((s) => s.signal === 'traces')!.accepted).toBe(spans.length);
  });

  it('rejects bad options at construction with the field named', () => {
    expect(() => startTelemetry({ endpoint: 'not a url', handleSignals: false })).toThrow(/`endpoint`/);
    expect(() => startTelemetry({ protocol: 'grpc' as never, handleSignals: false })).toThrow(/`protocol`/);
    expect(() => startTelemetry({ sampleRate: 1 } as never)).toThrow(/unknown option `sampleRate`/);
  });

  it('the pipeline reports its own health: processed, exported and lost by error.type, retries, spooled, replayed, export latency', async () => {
    const [s, url] = await sink();
    let logRequests = 0;
    // The first logs request meets a 503 (retried from the spool), the third a 400 (never retried, lost).
    s.respondWith = (request) => {
      if (!request.url?.endsWith('/v1/logs')) return undefined;
      logRequests++;
      if (logRequests === 1) return { status: 503 };
      if (logRequests === 3) return { status: 400 };
      return undefined;
    };
    const telemetry = startTelemetry({
      serviceName: 'health-test',
      endpoint: url,
      protocol: 'http/json',
      handleSignals: false,
      traces: 'none',
      spoolDir: mkdtempSync(join(tmpdir(), 'batchtel-health-')),
      maxBackoffMillis: 50,
      metricExportIntervalMillis: 60_000,
    });
    const logger = logs.getLogger('health');
    const emit = (batch: number) => {
      for (let i = 0; i < 10; i++) logger.emit({ body: `record ${batch}.${i}` });
    };
    emit(0);
    await telemetry.forceFlush();
    await waitFor('the refused request retried from the spool', async () => telemetry.deliveryStats()[0]!.replayed === 10, 5000);
    emit(1);
    await telemetry.forceFlush();
    emit(2);
    await telemetry.shutdown();
    const stats = telemetry.deliveryStats()[0]!;
    expect(stats).toMatchObject({ signal: 'logs', accepted: 30, delivered: 20, dropped: { '400': 10 }, spooled: 10, replayed: 10, pending: 0 });

    // The last metrics export carries the final cumulative values.
    const points = new Map<string, number>();
    for (const request of s.of('metrics')) {
      for (const rm of (request.json as { resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<Record<string, any>> }> }> }).resourceMetrics)
        for (const sm of rm.scopeMetrics)
          for (const metric of sm.metrics) {
            const data = metric['sum'] ?? metric['histogram'];
            for (const point of data?.dataPoints ?? []) {
              const errorType = point.attributes?.find((a: { key: string }) => a.key === sc.ATTR_ERROR_TYPE)?.value.stringValue ?? '';
              points.set(`${metric['name']}{${errorType}}`, Number(point.asInt ?? point.asDouble ?? point.count));
            }
          }
    }
    console.log(
      `pipeline health: ${[...points]
        .filter(([k]) => k.startsWith('otel.sdk') || k.startsWith('batchtel.'))
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    expect(points.get(`${sc.METRIC_OTEL_SDK_PROCESSOR_LOG_PROCESSED}{}`)).toBe(30);
    expect(points.get(`${sc.METRIC_OTEL_SDK_EXPORTER_LOG_EXPORTED}{}`)).toBe(20);
    expect(points.get(`${sc.METRIC_OTEL_SDK_EXPORTER_LOG_EXPORTED}{400}`)).toBe(10);
    expect(points.get(`${sc.METRIC_BATCHTEL_EXPORTER_RETRIES}{503}`)).toBe(1);
    expect(points.get(`${sc.METRIC_BATCHTEL_SPOOL_SPOOLED}{}`)).toBe(10);
    expect(points.get(`${sc.METRIC_BATCHTEL_SPOOL_REPLAYED}{}`)).toBe(10);
    expect(points.get(`${sc.METRIC_BATCHTEL_SPOOL_RECORDS}{}`)).toBe(0);
    // Three requests, each written by a forceFlush or the shutdown (its only trigger here, so one series).
    expect(points.get(`${sc.METRIC_BATCHTEL_PROCESSOR_REQUESTS}{}`)).toBe(3);
    expect(points.get(`${sc.METRIC_OTEL_SDK_EXPORTER_OPERATION_DURATION}{}`)).toBe(2);
    expect(points.get(`${sc.METRIC_OTEL_SDK_EXPORTER_OPERATION_DURATION}{400}`)).toBe(1);
    expect(points.get(`${sc.METRIC_OTEL_SDK_EXPORTER_OPERATION_DURATION}{503}`)).toBe(1);
  });
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every variable the SDK reads, each with a value it cannot use. */
const MALFORMED: ReadonlyArray<[string, string]> = [
  ['OTEL_RESOURCE_ATTRIBUTES', 'novalue,=x'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
  ['OTEL_EXPORTER_OTLP_HEADERS', 'bad header=1'],
  ['OTEL_EXPORTER_OTLP_TIMEOUT', 'soon'],
  ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli'],
  ...(['TRACES', 'METRICS', 'LOGS'] as const).flatMap(
    (s): Array<[string, string]> => [
      [`OTEL_EXPORTER_OTLP_${s}_ENDPOINT`, `collector:4318/v1/${s.toLowerCase()}`],
      [`OTEL_EXPORTER_OTLP_${s}_PROTOCOL`, 'grpc'],
      [`OTEL_EXPORTER_OTLP_${s}_HEADERS`, 'x-crlf=a%0D%0Ab'],
      [`OTEL_EXPORTER_OTLP_${s}_TIMEOUT`, '-1'],
      [`OTEL_EXPORTER_OTLP_${s}_COMPRESSION`, 'zstd'],
      [`OTEL_${s}_EXPORTER`, 'zipkin'],
    ],
  ),
  ['OTEL_TRACES_SAMPLER', 'jaeger_remote'],
  ['OTEL_TRACES_SAMPLER_ARG', 'half'],
  ['OTEL_METRIC_EXPORT_INTERVAL', '0'],
  ['OTEL_METRIC_EXPORT_TIMEOUT', 'never'],
  ['OTEL_LOG_LEVEL', 'chatty'],
  ['OTEL_SDK_DISABLED', 'yes'],
  ['OTEL_PROPAGATORS', 'b3'],
  ['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '-1'],
  ['OTEL_ATTRIBUTE_COUNT_LIMIT', 'many'],
  ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', '1.5'],
  ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'x'],
  ['OTEL_SPAN_EVENT_COUNT_LIMIT', '-3'],
  ['OTEL_SPAN_LINK_COUNT_LIMIT', 'y'],
  ['OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'z'],
  ['OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', '-'],
];

function runEnvApp(app: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', app], {
    cwd: ROOT,
    env: { ...base, APP_SPOOL: tempSpool(), APP_LOCAL: tempSpool(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  // 'close', not 'exit': under load the process can exit before its last output is read.
  return new Promise((resolveRun) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out });
    }),
  );
}

describe('a malformed OTEL_* variable never takes the app down', () => {
  it('each variable the SDK reads, malformed, in a real process: the app runs on, one warning names the variable', async () => {
    const [, url] = await sink();
    // test/fixtures/sdk/env-app.ts bundled once: forty starts of one file, not forty tsx compilations.
    const app = await bundledFixture('test/fixtures/sdk/env-app.ts');
    const results: Array<[string, string, { code: number | null; out: string }]> = [];
    const queue = [...MALFORMED];
    // A few processes at a time: the machine is shared.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [name, value] = next;
          // The common endpoint is the sink unless it is the variable under test.
          const env = name === 'OTEL_EXPORTER_OTLP_ENDPOINT' ? { [name]: value } : { OTEL_EXPORTER_OTLP_ENDPOINT: url, [name]: value };
          results.push([name, value, await runEnvApp(app, env)]);
        }
      }),
    );
    for (const [name, value, { code, out }] of results) {
      expect({ name, value, code, alive: out.includes('ALIVE') }).toEqual({ name, value, code: 0, alive: true });
      const warnings = out.split('\n').filter((line) => line.includes(`${name}=`));
      expect({ name, warnings: warnings.length }).toEqual({ name, warnings: 1 });
      // Bundled, the app still delivers on the SDK's export worker thread, as an app does from dist/.
      expect({ name, workerFallback: out.includes('export worker cannot run') }).toEqual({ name, workerFallback: false });
    }
  });
});

describe('trace context with startTelemetry alone', () => {
  it('a chunk handler has an active span whose traceparent reaches a real HTTP server; the export itself runs untraced', async () => {
    const [s, url] = await sink();
    const received: string[] = [];
    const server = createServer((req, res) => {
      received.push(String(req.headers['traceparent'] ?? ''));
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // What an HTTP instrumentation would see when batchtel sends its export requests.
    const exportRequests: Array<{ suppressed: boolean; activeSpan: boolean }> = [];
    const sinkPort = new URL(url).port;
    const onRequest = (message: unknown) => {
      const request = (message as { request: ClientRequest }).request;
      if (String(request.getHeader('host') ?? '').endsWith(`:${sinkPort}`)) {
        exportRequests.push({ suppressed: isTracingSuppressed(context.active()), activeSpan: trace.getActiveSpan() !== undefined });
      }
    };
    subscribe('http.client.request.start', onRequest);
    try {
      const telemetry = startTelemetry({
        serviceName: 'ctx-test',
        spoolDir: tempSpool(),
        endpoint: url,
        protocol: 'http/json',
        handleSignals: false,
        syncIntervalMillis: 10,
      });
      const run = trackBatch({ name: 'ctx', operation: 'ctx_check', total: 2, display: 'none', registry: new RunRegistry() });
      const chunkSpans: string[] = [];
      await run.process(
        [1, 2],
        async () => {
          const active = trace.getActiveSpan();
          chunkSpans.push(active?.spanContext().spanId ?? 'none');
          const headers: Record<string, string> = {};
          propagation.inject(context.active(), headers);
          await fetch(`http://127.0.0.1:${port}/downstream`, { headers });
          // Give the delivery a chance to send while this chunk's span is active.
          await telemetry.forceFlush();
        },
        { batchSize: 1 },
      );
      await telemetry.shutdown();
      // A second shutdown waits for the first one's flush: it is the same work.
      await telemetry.shutdown();
      const chunks = (s.spans() as unknown as Array<{ name: string; traceId: string; spanId: string }>).filter((x) => x.name === 'batch.chunk ctx_check');
      expect(chunks).toHaveLength(2);
      expect(received).toHaveLength(2);
      for (const [i, header] of received.entries()) {
        const [, traceId, parentId] = header.split('-');
        const chunk = chunks.find((c) => c.spanId === parentId);
        expect(chunk, `traceparent ${header} names a chunk span`).toBeDefined();
        expect(chunk!.traceId).toBe(traceId);
        expect(chunkSpans[i]).not.toBe('none');
      }
      expect(exportRequests.length).toBeGreaterThan(0);
      expect(exportRequests.filter((r) => !r.suppressed || r.activeSpan)).toEqual([]);
    } finally {
      unsubscribe('http.client.request.start', onRequest);
      server.close();
    }
  });

  it('a second shutdown() resolves only once the first one has delivered', async () => {
    const [s, url] = await sink();
    const telemetry = startTelemetry({ serviceName: 'twice', spoolDir: tempSpool(), endpoint: url, protocol: 'http/json', handleSignals: false });
    trace.getTracer('t').startSpan('last words').end();
    void telemetry.shutdown();
    await telemetry.shutdown();
    expect(s.spans().map((x) => x.name)).toContain('last words');
  });

  it('a spoolDir that is a regular file: no throw, one warning, spans delivered from memory', async () => {
    const [s, url] = await sink();
    const file = join(tempSpool(), 'not-a-folder');
    writeFileSync(file, 'x');
    const output: string[] = [];
    diag.setLogger(
      { error: (...a) => output.push(a.join(' ')), warn: (...a) => output.push(a.join(' ')), info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    const telemetry = startTelemetry({ serviceName: 'spool-file', spoolDir: file, endpoint: url, protocol: 'http/json', handleSignals: false });
    trace.getTracer('t').startSpan('from memory').end();
    await telemetry.shutdown();
    expect(output.filter((line) => line.includes(file) && line.includes('cannot be used'))).toHaveLength(1);
    expect(s.spans().map((x) => x.name)).toContain('from memory');
  });
});

describe('one record is bounded', () => {
  it('attribute values and log bodies are cut to the documented limits; OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT is honoured', async () => {
    const [s, url] = await sink();
    const huge = 'h'.repeat(1024 * 1024);
    const telemetry = startTelemetry({ serviceName: 'limits', spoolDir: tempSpool(), endpoint: url, protocol: 'http/json', handleSignals: false });
    trace
      .getTracer('t')
      .startSpan('big', { attributes: { dump: huge } })
      .end();
    logs.getLogger('t').emit({ body: huge, attributes: { dump: huge } });
    await telemetry.shutdown();
    const span = s.spans().find((x) => x.name === 'big')!;
    expect(String(span.attributes.find((a) => a.key === 'dump')!.value['stringValue'])).toHaveLength(16 * 1024);
    const record = s.logRecords().find((l) => l.body?.stringValue?.startsWith('hhh'))!;
    expect(record.body!.stringValue!.length).toBeLessThan(64 * 1024 + 100);
    expect(String(record.attributes.find((a) => a.key === 'dump')!.value['stringValue'])).toHaveLength(16 * 1024);

    process.env['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT'] = '100';
    try {
      const [s2, url2] = await sink();
      const again = startTelemetry({ serviceName: 'limits', spoolDir: tempSpool(), endpoint: url2, protocol: 'http/json', handleSignals: false });
      trace
        .getTracer('t')
        .startSpan('small', { attributes: { dump: huge } })
        .end();
      await again.shutdown();
      expect(
        String(
          s2
            .spans()
            .find((x) => x.name === 'small')!
            .attributes.find((a) => a.key === 'dump')!.value['stringValue'],
        ),
      ).toHaveLength(100);
    } finally {
      delete process.env['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT'];
    }
  });
});

it('the integration suite runs with --unhandled-rejections=strict', () => {
  expect(process.execArgv).toContain('--unhandled-rejections=strict');
});
