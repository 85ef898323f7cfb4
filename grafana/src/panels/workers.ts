/**
 * Run detail panels for runs spread over worker processes (`batchtel/bullmq`):
 * each worker's resource has its own `service.instance.id`, which Prometheus
 * keeps as the `instance` label, while the items counter is summed across them.
 */
import { PROM, PROM_LABEL as L } from '../../../src/prometheusNames.js';
import type { PanelSpec } from '../builder.js';

/** `instance`: the Prometheus label `service.instance.id` becomes. */
const INSTANCE = 'instance';

export function workerPanels(selector: string): PanelSpec[] {
  return [
    {
      title: 'Workers in this run',
      description: 'Worker processes (service.instance.id) that settled items of the selected operation in the last 5 minutes.',
      type: 'stat',
      width: 6,
      height: 8,
      queries: [{ expr: `count(sum by (${INSTANCE}) (rate(${PROM.itemsProcessed}{${selector}}[5m])) > 0)`, instant: true }],
      unit: 'none',
    },
    {
      title: 'Throughput per worker',
      description: 'Items per second settled by each worker process; their sum is the run’s throughput.',
      type: 'timeseries',
      width: 18,
      height: 8,
      queries: [{ expr: `sum by (${INSTANCE}) (rate(${PROM.itemsProcessed}{${selector}}[$__rate_interval]))`, legend: `{{${INSTANCE}}}` }],
      unit: 'ops',
    },
    {
      title: 'Items by outcome, all workers',
      type: 'timeseries',
      width: 24,
      height: 8,
      queries: [{ expr: `sum by (${L.outcome}) (increase(${PROM.itemsProcessed}{${selector}}[$__rate_interval]))`, legend: `{{${L.outcome}}}` }],
      unit: 'short',
    },
  ];
}
