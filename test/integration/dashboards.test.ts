import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promQueries } from '../../grafana/src/builder.js';
import { COLLECTOR } from '../../grafana/src/collectorMetrics.js';
import { DASHBOARDS } from '../../grafana/src/dashboards.js';
import { RunRegistry, trackBatch } from '../../src/index.js';
import { PROM as SEMCONV_PROM } from '../../src/prometheusNames.js';
import { OtlpSink } from '../support/otlpSink.js';
import { collectorBinary, otlpUrl, promQuery, Stack, waitFor, telemetryTo } from '../support/stack.js';

/**
 * The collector creates these counters at the first dropped item (a retry that never gives up never drops);
 * the SDK's retry counter has a series per error.type from the first retry (delivery tests cover it).
 */
const ONLY_AFTER_LOSS = [COLLECTOR.exporterSendFailedSpans, COLLECTOR.exporterSendFailedLogs, SEMCONV_PROM.exportRetries];

/** Grafana's variables, as the dashboard would fill them with "All". */
const asGrafanaWould = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '15m').replace(/\$\w+/g, '.*');

describe('every dashboard query returns data after a realistic workload', () => {
  const stack = new Stack();
  const backend = new OtlpSink();
  let PROM: number;

  beforeAll(async () => {
    const binary = collectorBinary();
    const tracesUrl = await backend.start();
    const prom = await stack.prometheus();
    PROM = prom.port;
    const agent = await stack.collector(
      'agent.yaml',
      {
        BATCHTEL_PROMETHEUS_OTLP_URL: otlpUrl(prom),
        BATCHTEL_TRACES_URL: `${tracesUrl}/v1/traces`,
        BATCHTEL_LOGS_URL: `${tracesUrl}/v1/logs`,
        BATCHTEL_SAMPLE_PERCENT: '100',
        BATCHTEL_DECISION_WAIT: '1s',
        BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'batchtel-dash-')),
      },
      { binary },
    );
    prom.scrape(agent.ports.metrics);

    const telemetry = telemetryTo(agent, 'dash-check', 500);
    const registry = new RunRegistry();
    const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 100));
    // A run that stays active while the collection happens: progress, ETA, idle time.
    const live = trackBatch({ name: 'long import', operation: 'dash_live', category: 'import', total: 1000, display: 'none', registry }).start();
    let attempts = 0;
    await trackBatch({
      name: 'annotate',
      operation: 'dash_llm',
      category: 'llm',
      total: 60,
      display: 'none',
      registry,
      alerts: { qualityDegradation: { minSamples: 5 } },
    }).process(
      Array.from({ length: 60 }, (_, i) => i),
      async (chunk, { index, attempt }) => {
        await pause();
        live.add(5);
        if (index % 4 === 1 && attempt === 1) throw new Response(null, { status: 429, headers: { 'retry-after': '0' } });
        if (index === 3 && attempt === 1 && attempts++ === 0) throw new TypeError('bad row');
        return {
          failed: index === 5 ? 1 : 0,
          quality: 0.3 + (index % 3) * 0.3,
          usage: { inputTokens: 100 * chunk.length, outputTokens: 20 * chunk.length, cost: 0.01 },
        };
      },
      { batchSize: 5, retry: { attempts: 2, baseDelayMs: 1 } },
    );
    await waitFor('the live run measured', async () => (await promQuery(PROM, 'batch_run_eta_seconds')).length > 0, 30_000);
    await telemetry.forceFlush();
    // rate() needs two scrapes of each collector counter.
    await waitFor(
      'the collector’s traffic scraped twice',
      async () =>
        (await promQuery(PROM, `rate(${COLLECTOR.exporterSentSpans}[1m])`)).length > 0 &&
        (await promQuery(PROM, `rate(${COLLECTOR.receiverAcceptedMetricPoints}[1m])`)).length > 0,
      60_000,
    );
    live.finish();
    await telemetry.shutdown();
  }, 900_000);

  afterAll(async () => {
    await stack.stop();
    await backend.stop();
  });

  const queries = Object.entries(DASHBOARDS).flatMap(([name, d]) => promQueries(d).map((q) => [name, q] as const));
  it.each(queries)('%s: %s', async (_name, expr) => {
    const result = await promQuery(PROM, asGrafanaWould(expr));
    // Series that exist only once data was dropped or refused: they must evaluate, they cannot hold data yet.
    if (ONLY_AFTER_LOSS.some((metric) => expr.includes(metric))) return;
    expect(result.length, asGrafanaWould(expr)).toBeGreaterThan(0);
  });
});
