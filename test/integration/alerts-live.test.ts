import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERT_RULES } from '../../grafana/src/alerts.js';
import { RunRegistry, trackBatch } from '../../src/index.js';
import { collectorBinary, otlpUrl, Stack, waitFor, type Collector, telemetryTo } from '../support/stack.js';

const STALL_SECONDS = 5;

/**
 * The generated rules, made to answer within a test: no `for:` wait, and a stall
 * of seconds instead of ten minutes. Expressions and labels are otherwise the same.
 */
function testRules(dir: string): string {
  const rules = ALERT_RULES.map((rule) => ({
    alert: rule.alert,
    expr: rule.alert === 'BatchRunStalled' ? rule.expr.replace('> 600', `> ${STALL_SECONDS}`) : rule.expr,
    for: '0s',
    labels: { severity: rule.severity },
  }));
  const path = join(dir, 'rules.yml');
  writeFileSync(path, stringify({ groups: [{ name: 'batchtel-live', interval: '1s', rules }] }));
  return path;
}

interface Received {
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

describe('alerts, live: a scripted job through the collector into Prometheus and Alertmanager', () => {
  const stack = new Stack();
  const received: Received[] = [];
  let webhook: Server;
  let PROM: number;
  let ALERTMANAGER: number;
  let agent: Collector;

  beforeAll(async () => {
    const binary = collectorBinary();
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body) as Received);
        response.end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`;
    ALERTMANAGER = (await stack.alertmanager(hook)).port;
    const prom = await stack.prometheus({ ruleFiles: [testRules(stack.dir)], alertmanagerPort: ALERTMANAGER, evaluationInterval: '1s' });
    PROM = prom.port;
    agent = await stack.collector(
      'agent.yaml',
      {
        BATCHTEL_PROMETHEUS_OTLP_URL: otlpUrl(prom),
        BATCHTEL_TRACES_URL: 'http://127.0.0.1:1/v1/traces',
        BATCHTEL_LOGS_URL: 'http://127.0.0.1:1/v1/logs',
        BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'batchtel-alerts-')),
      },
      { binary },
    );
    prom.scrape(agent.ports.metrics);
  }, 900_000);

  afterAll(async () => {
    await stack.stop();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('rate limiting, an error burst and a stall reach the webhook; the healthy job raises nothing', async () => {
    const telemetry = telemetryTo(agent, 'alerts-live', 500);
    const registry = new RunRegistry();
    const items = (n: number) => Array.from({ length: n }, (_, i) => i);
    // Jobs last a few seconds, as real ones do: a counter that first appears at its
    // final value shows no increase to Prometheus.
    const work = () => new Promise<void>((resolve) => setTimeout(resolve, 150));

    // Rate limited: every chunk is answered 429 once, then goes through.
    const limited = trackBatch({ name: 'limited', operation: 'rl_job', total: 40, display: 'none', registry }).process(
      items(40),
      async (_c, { attempt }) => {
        await work();
        if (attempt === 1) throw new Response(null, { status: 429, headers: { 'retry-after': '0' } });
      },
      { batchSize: 4, retry: { attempts: 2, baseDelayMs: 1 } },
    );
    // An error burst: half the items fail.
    const failing = trackBatch({ name: 'failing', operation: 'err_job', total: 60, display: 'none', registry }).process(
      items(60),
      async (chunk) => {
        await work();
        return { failed: Math.ceil(chunk.length / 2) };
      },
      { batchSize: 6 },
    );
    // Healthy: steady, successful.
    const healthy = trackBatch({ name: 'healthy', operation: 'ok_job', total: 60, display: 'none', registry }).process(items(60), work, { batchSize: 6 });
    await Promise.all([limited, failing, healthy]);

    // A stall: the run stays active without progress while metrics go out.
    const stalled = trackBatch({ name: 'stalled', operation: 'stall_job', total: 100, display: 'none', registry }).start();
    stalled.add(10);

    // On failure, say what Prometheus and Alertmanager held.
    const diagnose = async () => {
      const prom = (await (await fetch(`http://127.0.0.1:${PROM}/api/v1/alerts`)).json()) as {
        data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
      };
      const am = (await (await fetch(`http://127.0.0.1:${ALERTMANAGER}/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string> }>;
      return `prometheus: ${JSON.stringify(prom.data.alerts.map((a) => [a.labels['alertname'], a.labels['batch_operation'], a.state]))}; alertmanager: ${JSON.stringify(am.map((a) => a.labels['alertname']))}; webhook: ${JSON.stringify(received)}`;
    };
    const expectAlert = async (alert: string, operation: string) => {
      try {
        await waitFor(`${alert} for ${operation} at the webhook`, async () => firing(alert, operation), 60_000);
      } catch (error) {
        throw new Error(`${(error as Error).message}; ${await diagnose()}`);
      }
    };
    const firing = (alert: string, operation: string) =>
      received.some((r) => r.alerts.some((a) => a.status === 'firing' && a.labels['alertname'] === alert && a.labels['batch_operation'] === operation));
    await expectAlert('BatchRateLimited', 'rl_job');
    await expectAlert('BatchHighErrorRate', 'err_job');
    await expectAlert('BatchRunStalled', 'stall_job');
    stalled.finish();
    await telemetry.shutdown();

    const forHealthy = received.flatMap((r) => r.alerts).filter((a) => a.labels['batch_operation'] === 'ok_job');
    expect(forHealthy).toEqual([]);
    const names = [
      ...new Set(received.flatMap((r) => r.alerts.map((a) => `${a.labels['alertname']}{${a.labels['batch_operation'] ?? a.labels['exporter'] ?? ''}}`))),
    ].sort();
    console.log(`alerts received by the webhook: ${names.join(', ')}`);
  });
});
