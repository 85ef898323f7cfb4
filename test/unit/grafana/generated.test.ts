import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { ALERT_RULES } from '../../../grafana/src/alerts.js';
import { promQueries } from '../../../grafana/src/builder.js';
import { COLLECTOR } from '../../../grafana/src/collectorMetrics.js';
import { DASHBOARDS } from '../../../grafana/src/dashboards.js';
import { generatedFiles } from '../../../grafana/src/generate.js';
import { PROM_LABEL, prometheusSeriesNames } from '../../../src/prometheusNames.js';
import { ALL_METRICS, BATCH_ALERT_GROUP_VALUES } from '../../../src/semconv.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const KNOWN_METRICS = new Set([...ALL_METRICS.flatMap((m) => prometheusSeriesNames(m)), ...Object.values(COLLECTOR)]);
const KNOWN_LABELS = new Set([...Object.values(PROM_LABEL), 'job', 'instance', 'le', 'exporter', 'receiver']);

/** Metric and label names in a PromQL expression, and whether it parsed. */
function inspect(expr: string): { metrics: string[]; labels: string[]; error: boolean } {
  const metrics: string[] = [];
  const labels: string[] = [];
  let error = false;
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.type.isError) error = true;
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(cursor.from, cursor.to));
    if (cursor.name === 'LabelName') labels.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return { metrics, labels, error };
}

const queries = [
  ...Object.entries(DASHBOARDS).flatMap(([name, d]) => promQueries(d).map((q) => [`dashboard ${name}`, q] as const)),
  ...ALERT_RULES.map((r) => [`alert ${r.alert}`, r.expr] as const),
];

describe('dashboards and alert rules as code', () => {
  it('the committed generated files are current (run `npm run generate`)', () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      expect(readFileSync(join(ROOT, path), 'utf8'), path).toBe(content);
    }
  });

  it.each(queries)('%s: parses and uses only names the code emits', (_where, expr) => {
    // Grafana's variables are not PromQL: give them values before parsing.
    const promql = expr
      .replaceAll('$__rate_interval', '5m')
      .replaceAll('$__range', '1h')
      .replace(/\$(\w+)/g, '.*');
    const { metrics, labels, error } = inspect(promql);
    expect(error, promql).toBe(false);
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) expect(KNOWN_METRICS.has(metric), `${metric} is not emitted (src/semconv.ts or the collector)`).toBe(true);
    for (const label of labels) expect(KNOWN_LABELS.has(label), `label ${label}`).toBe(true);
  });

  it('reproduces the seed alert groups with severities, runbooks, and tests that fire and stay silent', () => {
    const groups = new Set(ALERT_RULES.map((r) => r.group).filter(Boolean));
    for (const group of [
      BATCH_ALERT_GROUP_VALUES.rateLimit,
      BATCH_ALERT_GROUP_VALUES.highErrorRate,
      BATCH_ALERT_GROUP_VALUES.slowPerformance,
      BATCH_ALERT_GROUP_VALUES.stalled,
    ]) {
      expect(groups.has(group), group).toBe(true);
    }
    expect(ALERT_RULES.find((r) => r.group === 'rate_limit')?.severity).toBe('medium');
    expect(ALERT_RULES.find((r) => r.group === 'high_error_rate')?.severity).toBe('high');
    expect(ALERT_RULES.find((r) => r.group === 'slow_performance')?.severity).toBe('low');
    const runbooks = readFileSync(join(ROOT, 'docs/alerts.md'), 'utf8');
    for (const rule of ALERT_RULES) {
      expect(
        rule.scenarios.some((s) => s.firing.length > 0),
        `${rule.alert} has a firing test`,
      ).toBe(true);
      expect(
        rule.scenarios.some((s) => s.firing.length === 0),
        `${rule.alert} has a silent test`,
      ).toBe(true);
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(runbooks, `docs/alerts.md runbook for ${rule.alert}`).toContain(`<a id="runbook-${rule.alert.toLowerCase()}"></a>`);
    }
  });
});
