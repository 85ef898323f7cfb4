/**
 * Secrets never leave the process. A real app process
 * (test/fixtures/security/canary-app.ts) plants distinct canary secrets in
 * every place the promise names: span attributes (a URL with `user:pass@`,
 * `?token=` and `api_key=`, an `authorization` value, a configured redact
 * key), exception messages and stacks (on a span, as its status and as an
 * ERROR log), log bodies, a batch run's metadata and failing chunk, and the
 * export headers (`OTEL_EXPORTER_OTLP_HEADERS`, options.headers). It runs with
 * the diagnostic logger at DEBUG against a real OTLP/HTTP endpoint on loopback
 * that refuses with 401, then 503 (wave B waits in the spool), and a second
 * process replays the spool into a 200. The canaries are then nowhere: not in
 * either process's stdout/stderr, not in any byte the endpoint received (other
 * than the export headers, which must arrive intact), not in the spool. The
 * masked forms are there, so the test fails if nothing is exported at all.
 *
 * Only public startTelemetry options are used (plus spoolDir), so the test
 * holds whatever the delivery internals look like.
 */
import { restoreEnv } from '../support/env.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelemetry } from '../../src/sdk/index.js';
import { REDACTED } from '../../src/sdk/redact.js';
import { canaries, CONFIGURED_REDACT_KEY } from '../fixtures/security/canaries.js';
import { OtlpSink } from '../support/otlpSink.js';
import { waitFor } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROCESS_DEADLINE_MS = 60_000;

/** Every request that reached the endpoint, whatever it was answered. */
interface Captured {
  readonly signal: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  /** Decompressed. */
  readonly body: Buffer;
}

interface App {
  readonly child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const sinks: OtlpSink[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function withoutOtelEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
}

function startApp(env: Record<string, string>): App {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/security/canary-app.ts'], {
    cwd: ROOT,
    env: { ...withoutOtelEnv(), OTEL_LOG_LEVEL: 'debug', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    exited: new Promise((resolve) => {
      child.on('error', () => resolve(null));
      child.on('close', (code) => resolve(code));
    }),
  };
}

async function finished(app: App, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), PROCESS_DEADLINE_MS)));
  const code = await Promise.race([app.exited, deadline]);
  clearTimeout(timer);
  if (code !== 0 || !app.output().includes('done')) {
    throw new Error(
      `${what} ${code === 'timeout' ? `did not finish within ${PROCESS_DEADLINE_MS} ms` : `exited with ${code}`}; its output:\n${app.output().slice(-4000)}`,
    );
  }
}

/** Every file under a folder (hidden and temporary ones too), decompressed when gzipped. */
function filesUnder(dir: string): Array<{ path: string; content: Buffer }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => {
      const raw = readFileSync(path);
      return { path, content: raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw };
    });
}

/** The canaries found in a text, for a message that says where. */
const found = (text: string, secrets: readonly string[]) => secrets.filter((secret) => text.includes(secret));

describe('secrets never leave the process (canaries, diagnostics at DEBUG, a 401 then 503 endpoint, the spool replayed by the next process)', () => {
  it.each(['http/protobuf', 'http/json'] as const)('%s', async (protocol) => {
    const seed = randomBytes(6).toString('hex');
    const c = canaries(seed);
    const sink = new OtlpSink();
    sinks.push(sink);
    const captured: Captured[] = [];
    let status = 401;
    sink.respondWith = (request, body) => {
      captured.push({
        signal: (request.url ?? '').split('/').pop() ?? '',
        status,
        headers: request.headers,
        url: request.url ?? '',
        body: request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body,
      });
      return status === 200 ? undefined : { status };
    };
    const endpoint = await sink.start();
    const spoolDir = mkdtempSync(join(tmpdir(), 'batchtel-security-'));
    dirs.push(spoolDir);
    const env = {
      ENDPOINT: endpoint,
      SPOOL_DIR: spoolDir,
      PROTOCOL: protocol,
      CANARY_SEED: seed,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${c.authorizationHeader}`,
    };
    const answered = (code: number, signal: string) => captured.some((r) => r.status === code && r.signal === signal);

    // Phase 1: wave A meets a forced auth failure on every signal, then wave B a 503 and waits in the spool.
    const outage = startApp({ ...env, PHASE: 'outage' });
    await waitFor(
      'wave A refused with 401 on traces, logs and metrics',
      async () => outage.output().includes('wave A') && ['traces', 'logs', 'metrics'].every((signal) => answered(401, signal)),
      30_000,
      outage.output,
    );
    status = 503;
    outage.child.stdin!.write('next\n');
    await finished(outage, 'the app in the outage');
    expect(answered(503, 'traces') && answered(503, 'logs'), 'wave B met the 503').toBe(true);
    const spooled = filesUnder(spoolDir);
    const spoolText = spooled.map((f) => f.content.toString('utf8')).join('\n');
    expect(spoolText, 'wave B waits in the spool').toContain('canary-span B');
    expect(spoolText).toContain('wave B: calling');

    // Phase 2: the endpoint answers; a second process replays the spool and sends wave C.
    status = 200;
    const replay = startApp({ ...env, PHASE: 'replay' });
    await finished(replay, 'the app replaying the spool');
    const delivered = captured.filter((r) => r.status === 200);
    const deliveredText = delivered.map((r) => r.body.toString('utf8')).join('\n');
    expect(deliveredText, 'the spool was replayed').toContain('canary-span B');
    expect(deliveredText).toContain('canary-span C');

    // Nowhere: the processes' output, the spool (both phases), every request body, URL and header.
    const secrets = c.all;
    expect(found(outage.output(), secrets), 'stdout/stderr of the app in the outage').toEqual([]);
    expect(found(replay.output(), secrets), 'stdout/stderr of the replaying app').toEqual([]);
    for (const file of [...spooled, ...filesUnder(spoolDir)]) expect(found(file.content.toString('utf8'), secrets), file.path).toEqual([]);
    for (const request of captured) {
      const where = `${request.status} ${request.url}`;
      expect(found(request.body.toString('utf8'), secrets), `body of ${where}`).toEqual([]);
      expect(found(request.url, secrets), `URL of ${where}`).toEqual([]);
      const { authorization, 'x-api-key': apiKey, ...otherHeaders } = request.headers;
      expect(found(JSON.stringify(otherHeaders), secrets), `headers of ${where}`).toEqual([]);
      // The export headers are for the endpoint: they arrive intact on every request.
      expect(authorization, `Authorization of ${where}`).toBe(`Bearer ${c.authorizationHeader}`);
      expect(apiKey, `x-api-key of ${where}`).toBe(c.apiKeyHeader);
    }
    for (const signal of ['traces', 'logs', 'metrics'])
      expect(
        captured.some((r) => r.signal === signal),
        `${signal} requests`,
      ).toBe(true);

    // There, masked: in what was refused (wave A), replayed (B) and delivered (C).
    const everything = captured.map((r) => r.body.toString('utf8')).join('\n');
    const maskedUrl = `https://user:${REDACTED}@canary.example/path?token=${REDACTED}&api_key=${REDACTED}`;
    for (const wave of ['A', 'B', 'C']) {
      expect(everything).toContain(`canary-span ${wave}`);
      expect(everything).toContain(`wave ${wave}: 401 from ${maskedUrl} with Authorization: Bearer ${REDACTED}`);
      expect(everything).toContain(`wave ${wave}: calling https://svc:${REDACTED}@logs.example/v1 with Bearer ${REDACTED}`);
    }
    const maskedPresigned = `https://bucket.s3.amazonaws.com/report.csv?X-Amz-Expires=60&X-Amz-Signature=${REDACTED}&X-Amz-Security-Token=${REDACTED}`;
    expect(everything).toContain(`upload to ${maskedPresigned} failed; retry with x-api-key: ${REDACTED}`);
    expect(everything).toContain(`https://svc:${REDACTED}@nested.example/v1`);
    expect(everything).toContain(`https://svc:${REDACTED}@meta.example/v1`);
    expect(everything).toContain(`https://items.example/v1?access_token=${REDACTED}`);
    // The shapes named by words: span names, query parameters, an environment dump, a JSON log body.
    expect(everything).toContain(`GET https://ada:${REDACTED}@names.example/v1`);
    expect(everything).toContain(`connect ada:${REDACTED}@db.internal:5432`);
    expect(everything).toContain(
      `?accessToken=${REDACTED}&pwd=${REDACTED};sessionid=${REDACTED} failed; env AWS_SECRET_ACCESS_KEY=${REDACTED} AWS_REGION=eu-west-1`,
    );
    expect(everything).toContain(
      `{"authToken": "${REDACTED}", "apiSecret": "${REDACTED}", "attempt": 2}`.replace(/"/g, protocol === 'http/json' ? '\\"' : '"'),
    );
    if (protocol === 'http/json') expectMaskedFields(captured, maskedUrl);
  });
});

type KeyValue = { key: string; value: { stringValue?: string } };
const attr = (attributes: KeyValue[] | undefined, key: string) => attributes?.find((a) => a.key === key)?.value.stringValue;

/** In JSON, field by field: each secret-bearing attribute masked, its neighbours untouched. */
function expectMaskedFields(captured: Captured[], maskedUrl: string): void {
  const json = (signal: string) => captured.filter((r) => r.signal === signal).map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
  const spans = json('traces').flatMap((t) =>
    (
      t['resourceSpans'] as Array<{
        scopeSpans: Array<{
          spans: Array<{ name: string; attributes: KeyValue[]; status?: { message?: string }; events: Array<{ name: string; attributes: KeyValue[] }> }>;
        }>;
      }>
    ).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
  );
  const records = json('logs').flatMap((l) =>
    (
      l['resourceLogs'] as Array<{
        scopeLogs: Array<{ logRecords: Array<{ severityText?: string; body?: { stringValue?: string }; attributes: KeyValue[] }> }>;
      }>
    ).flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)),
  );
  for (const wave of ['A', 'B', 'C']) {
    const span = spans.find((s) => s.name === `canary-span ${wave}`);
    expect(span, `canary-span ${wave}`).toBeDefined();
    expect(attr(span!.attributes, 'http.url')).toBe(maskedUrl);
    expect(attr(span!.attributes, 'authorization')).toBe(REDACTED);
    expect(attr(span!.attributes, CONFIGURED_REDACT_KEY)).toBe(REDACTED);
    expect(attr(span!.attributes, 'canary.wave')).toBe(wave);
    expect(span!.status?.message).toContain(`Authorization: Bearer ${REDACTED}`);
    const exception = span!.events.find((e) => e.name === 'exception');
    expect(attr(exception?.attributes, 'exception.message')).toContain(`Authorization: Bearer ${REDACTED}`);
    expect(attr(exception?.attributes, 'exception.stacktrace')).toContain(`Authorization: Bearer ${REDACTED}`);
    expect(attr(exception?.attributes, 'exception.stacktrace')).toContain('canary-app.ts');

    const error = records.find((r) => r.severityText === 'ERROR' && attr(r.attributes, 'canary.wave') === wave);
    expect(error, `ERROR log of wave ${wave}`).toBeDefined();
    expect(error!.body?.stringValue).toContain(`Authorization: Bearer ${REDACTED}`);
    expect(attr(error!.attributes, 'exception.stacktrace')).toContain(`Authorization: Bearer ${REDACTED}`);
    expect(attr(error!.attributes, 'exception.stacktrace')).toContain('canary-app.ts');
  }
}

describe('secrets outside spans and log strings', () => {
  it('a structured log body, metric attributes, the resource and the startup line are masked too', async () => {
    const sink = new OtlpSink();
    sinks.push(sink);
    const url = await sink.start();
    const spoolDir = mkdtempSync(join(tmpdir(), 'batchtel-security-known-'));
    dirs.push(spoolDir);
    const c = canaries(randomBytes(6).toString('hex'));
    const telemetry = startTelemetry({
      serviceName: 'security-known-leaks',
      endpoint: url.replace('http://', `http://otlpuser:${c.urlPassword}@`),
      protocol: 'http/json',
      resourceAttributes: { 'app.db.url': `postgres://app:${c.metadataPassword}@db.example/app` },
      spoolDir,
      handleSignals: false,
    });
    try {
      logs.getLogger('security').emit({ body: { message: `calling with Bearer ${c.logBearer}`, password: c.logPassword } as never });
      metrics
        .getMeter('security')
        .createCounter('security.calls')
        .add(1, { 'http.url': c.url, authorization: `Bearer ${c.authorizationAttribute}` });
    } finally {
      await telemetry.shutdown();
    }
    expect(sink.of('logs').length, 'logs delivered').toBeGreaterThan(0);
    expect(sink.of('metrics').length, 'metrics delivered').toBeGreaterThan(0);
    const leaks = (text: string, secrets: string[]) => found(text, secrets).length > 0;
    const logText = sink
      .of('logs')
      .map((r) => r.raw.toString('utf8'))
      .join('\n');
    const metricText = sink
      .of('metrics')
      .map((r) => r.raw.toString('utf8'))
      .join('\n');
    const leaking = Object.entries({
      'structured log body': leaks(logText, [c.logBearer, c.logPassword]),
      'metric attributes': leaks(metricText, [c.urlPassword, c.urlToken, c.urlApiKey, c.authorizationAttribute]),
      'resource attributes': leaks(sink.allText(), [c.metadataPassword]),
      'endpoint credentials in the startup line': leaks(telemetry.destination, [c.urlPassword]),
    })
      .filter(([, leaked]) => leaked)
      .map(([place]) => place);
    expect(leaking).toEqual([]);
    expect(metricText).toContain(REDACTED);
    expect(telemetry.destination).toContain(`otlpuser:${REDACTED}@`);
  });
});

describe('secret shapes in the local JSONL folder', () => {
  it('with no collector at the default endpoint, the local files hold the masked forms only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-security-local-'));
    dirs.push(dir);
    const localDir = join(dir, 'otlp');
    const c = canaries(randomBytes(6).toString('hex'));
    const saved = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
    try {
      // Nothing listens on the default 127.0.0.1:4318 in the test environment: the stack tests use other ports.
      const telemetry = startTelemetry({ serviceName: 'security-local', localDir, spoolDir: join(dir, 'spool'), timeoutMillis: 500, handleSignals: false });
      const tracer = trace.getTracer('security-local');
      for (const name of c.spanNames)
        tracer
          .startSpan(name, {
            attributes: { dbPassword: c.attrDbPassword, 'app.authToken': c.attrAuthToken, clientSecret: c.attrClientSecret, apiSecret: c.attrApiSecret },
          })
          .end();
      const logger = logs.getLogger('security-local');
      logger.emit({ body: c.shapesMessage });
      logger.emit({ body: c.shapesLogBody, attributes: { meta: { dbPassword: c.metaDbPassword, clientSecret: c.metaClientSecret } } });
      metrics.getMeter('security-local').createCounter('security_local.calls').add(1, { url: c.shapesMessage });
      await telemetry.shutdown();
    } finally {
      restoreEnv(saved);
    }
    const files = filesUnder(localDir);
    const text = files.map((f) => f.content.toString('utf8')).join('\n');
    expect(files.map((f) => f.path.split('/').pop()).sort()).toEqual(expect.arrayContaining(['logs.jsonl', 'traces.jsonl']));
    expect(found(text, c.all)).toEqual([]);
    expect(text).toContain(`GET https://ada:${REDACTED}@names.example/v1`);
    expect(text).toContain(`connect ada:${REDACTED}@db.internal:5432`);
    expect(text).toContain(`AWS_SECRET_ACCESS_KEY=${REDACTED}`);
    // The spool under the same folder holds nothing readable either.
    for (const file of filesUnder(join(dir, 'spool'))) expect(found(file.content.toString('utf8'), c.all), file.path).toEqual([]);
  });
});
