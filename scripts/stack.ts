/**
 * `npm run stack`: the collector (built from collector-config/), Prometheus with
 * the batchtel alert rules, and Alertmanager (both built at compose's releases), on 127.0.0.1 without Docker, with
 * the same configs compose uses (only addresses differ). Ctrl-C stops them.
 * Tempo and Loki are not started here: traces and logs wait in the collector's
 * persistent queue (BATCHTEL_TRACES_URL / BATCHTEL_LOGS_URL point it elsewhere).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { otlpUrl, ROOT, Stack } from '../test/support/stack.js';

const stack = new Stack();
const storage = join(ROOT, '.batchtel', 'collector-storage');
mkdirSync(storage, { recursive: true });
try {
  await stack.alertmanager(process.env['BATCHTEL_ALERT_WEBHOOK'] ?? 'http://127.0.0.1:9099/alerts', { port: 9093 });
  const prometheus = await stack.prometheus({ port: 9090, alertmanagerPort: 9093, scrape: [8888], scrapeInterval: '15s', evaluationInterval: '15s' });
  await stack.collector(
    'agent.yaml',
    {
      BATCHTEL_PROMETHEUS_OTLP_URL: otlpUrl(prometheus),
      BATCHTEL_TRACES_URL: process.env['BATCHTEL_TRACES_URL'] ?? 'http://127.0.0.1:4418/v1/traces',
      BATCHTEL_LOGS_URL: process.env['BATCHTEL_LOGS_URL'] ?? 'http://127.0.0.1:3100/otlp/v1/logs',
      BATCHTEL_STORAGE_DIR: storage,
    },
    { ports: { grpc: 4317, http: 4318, health: 13133, metrics: 8888 } },
  );
} catch (error) {
  await stack.stop();
  throw error;
}
console.log(`batchtel stack on 127.0.0.1:
  OTLP        http://127.0.0.1:4318 (HTTP), 127.0.0.1:4317 (gRPC)  ← point batchtel/sdk here (its default)
  Prometheus  http://127.0.0.1:9090  (alert rules from prometheus/rules/)
  Alertmanager http://127.0.0.1:9093 → ${process.env['BATCHTEL_ALERT_WEBHOOK'] ?? 'http://127.0.0.1:9099/alerts'}
Ctrl-C stops everything.`);
const stop = () => void stack.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
