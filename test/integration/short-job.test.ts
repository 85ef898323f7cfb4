import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promQueries } from '../../grafana/src/builder.js';
import { DASHBOARDS } from '../../grafana/src/dashboards.js';
import { RunRegistry, trackBatch } from '../../src/index.js';
import { PROM, PROM_LABEL } from '../../src/prometheusNames.js';
import { collectorBinary, otlpUrl, promQuery, Stack, type Prometheus, telemetryTo } from '../support/stack.js';

/**
 * A job shorter than one metric export interval sends its counters once, at
 * shutdown, already at their final values. Without a start time Prometheus has
 * one sample per series and increase() over the dashboard's range shows nothing;
 * through the OTLP receiver with created-timestamp-zero-ingestion (compose's
 * flags) the start time becomes a zero sample and the items count.
 */
describe('a job that ends within one export interval, on the dashboard', () => {
  const stack = new Stack();
  let prom: Prometheus;
  const ITEMS = 25;

  beforeAll(async () => {
    prom = await stack.prometheus({ ruleFiles: [] });
    const agent = await stack.collector(
      'agent.yaml',
      {
        BATCHTEL_PROMETHEUS_OTLP_URL: otlpUrl(prom),
        BATCHTEL_TRACES_URL: 'http://127.0.0.1:1/v1/traces',
        BATCHTEL_LOGS_URL: 'http://127.0.0.1:1/v1/logs',
        BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'batchtel-short-')),
      },
      { binary: collectorBinary() },
    );
    // The whole job runs inside the SDK's first export interval (60 s): one export, at shutdown.
    const telemetry = telemetryTo(agent, 'short-job', 60_000);
    const items = Array.from({ length: ITEMS }, (_, i) => i);
    await trackBatch({ name: 'short job', operation: 'short_job', total: ITEMS, display: 'none', registry: new RunRegistry() }).process(
      items,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 40));
      },
      { batchSize: 5 },
    );
    await telemetry.shutdown();
  }, 900_000);

  afterAll(async () => {
    await stack.stop();
  });

  it("the dashboard's Items processed query counts every item of the job", async () => {
    const dashboard = Object.values(DASHBOARDS).find((d) => promQueries(d).some((q) => q.startsWith(`sum(increase(${PROM.itemsProcessed}`)))!;
    const query = promQueries(dashboard).find((q) => q.startsWith(`sum(increase(${PROM.itemsProcessed}`))!;
    // Over the dashboard's default range (now-6h), the other variables as "All" would fill them.
    const range = dashboard.time!.from.replace('now-', '');
    const expr = query.replaceAll('$__range', range).replace(/\$\w+/g, '.*');
    const series = `${PROM.itemsProcessed}{${PROM_LABEL.operation}="short_job"}`;
    // The export has arrived once the final value is there.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const result = await promQuery(prom.port, `sum(${series})`);
      if (result[0]?.value[1] === String(ITEMS)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const raw = (await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(`${series}[${range}]`)}`)).json()) as {
      data: { result: Array<{ values: Array<[number, string]> }> };
    };
    const samples = raw.data.result.flatMap((r) => r.values);
    // One export: the job's final values, each preceded by the zero sample its start time became.
    expect(samples.map(([, v]) => v).filter((v) => v === '0').length, JSON.stringify(raw.data.result)).toBeGreaterThan(0);
    const increase = Number((await promQuery(prom.port, expr))[0]?.value[1] ?? 'NaN');
    console.log(
      `short job: ${ITEMS} items in one export; samples ${JSON.stringify(raw.data.result.map((r) => r.values.map(([, v]) => v)))}; ${expr} = ${increase}`,
    );
    // increase() never counts fewer than the job did; it extrapolates past the last sample toward
    // the range's end by up to 1.1 sample intervals (here the job's length), so never more than 2.1 times.
    expect(increase).toBeGreaterThanOrEqual(ITEMS);
    expect(increase).toBeLessThanOrEqual(2.1 * ITEMS);
  });
});
