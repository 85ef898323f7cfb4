/**
 * Dashboards from short specs, typed against Grafana's own dashboard schema
 * (@grafana/grafana-foundation-sdk): the output is a `Dashboard`, each query is
 * built by the datasource's query builder. A new panel set is a `PanelSpec[]`
 * in a file of its own (grafana/src/panels/), added to a dashboard in
 * dashboards.ts.
 */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardLinkType,
  VariableRefresh,
  VariableSort,
  VariableType,
  type Dashboard,
  type DashboardLink,
  type DataTransformerConfig,
  type Panel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as LokiQuery } from '@grafana/grafana-foundation-sdk/loki';
import { DataqueryBuilder as PrometheusQuery, PromQueryFormat, type Dataquery as PrometheusDataquery } from '@grafana/grafana-foundation-sdk/prometheus';

/** The Grafana release .env pins; a test fails when the pin moves without this. */
export const GRAFANA_RELEASE = '13.2.0';
/**
 * The dashboard schema version for that release, as the foundation SDK's
 * dashboard schema sets it (defaultDashboard()): Grafana runs no migration on load.
 */
export const SCHEMA_VERSION = 42;

export type Datasource = { type: 'prometheus' | 'loki' | 'tempo'; uid: string } & DataSourceRef;
/** The uids grafana/provisioning/datasources/datasources.yaml gives the datasources. */
export const PROMETHEUS: Datasource = { type: 'prometheus', uid: 'prometheus' };
export const LOKI: Datasource = { type: 'loki', uid: 'loki' };
export const TEMPO: Datasource = { type: 'tempo', uid: 'tempo' };

export interface Query {
  readonly expr: string;
  readonly legend?: string;
  readonly instant?: boolean;
  readonly format?: 'time_series' | 'table' | 'heatmap';
  readonly exemplar?: boolean;
}

export interface PanelSpec {
  readonly title: string;
  readonly type: 'timeseries' | 'stat' | 'table' | 'heatmap' | 'bargauge' | 'logs' | 'barchart';
  readonly description?: string;
  readonly queries: readonly Query[];
  readonly width?: number;
  readonly height?: number;
  readonly unit?: string;
  readonly datasource?: Datasource;
  readonly options?: Record<string, unknown>;
  readonly fieldConfig?: Record<string, unknown>;
  readonly transformations?: readonly DataTransformerConfig[];
}

export interface Variable {
  readonly name: string;
  readonly label: string;
  readonly query: string;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly variables: readonly Variable[];
  readonly panels: readonly PanelSpec[];
  /** Links to the other batchtel dashboards (by tag). */
  readonly links?: readonly Pick<DashboardLink, 'title' | 'tags' | 'asDropdown'>[];
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const FORMATS: Record<NonNullable<Query['format']>, PromQueryFormat> = {
  time_series: PromQueryFormat.TimeSeries,
  table: PromQueryFormat.Table,
  heatmap: PromQueryFormat.Heatmap,
};

function target(query: Query, refId: string, datasource: Datasource): Dataquery {
  if (datasource.type === 'loki') {
    const loki = new LokiQuery().refId(refId).datasource(datasource).expr(query.expr);
    if (query.legend) loki.legendFormat(query.legend);
    return loki.build();
  }
  const prom = new PrometheusQuery().refId(refId).datasource(datasource).expr(query.expr);
  if (query.legend) prom.legendFormat(query.legend);
  if (query.instant) prom.instant();
  if (query.format) prom.format(FORMATS[query.format]);
  if (query.exemplar) prom.exemplar(true);
  return prom.build();
}

export function dashboard(spec: DashboardSpec): Dashboard {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = spec.panels.map((panel, index): Panel => {
    const w = panel.width ?? 12;
    const h = panel.height ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    const datasource = panel.datasource ?? PROMETHEUS;
    return {
      id: index + 1,
      type: panel.type,
      title: panel.title,
      ...(panel.description ? { description: panel.description } : {}),
      datasource,
      gridPos,
      targets: panel.queries.map((q, i) => target(q, REF_IDS[i]!, datasource)),
      fieldConfig: { defaults: { ...(panel.unit ? { unit: panel.unit } : {}), ...(panel.fieldConfig ?? {}) }, overrides: [] },
      options: panel.options ?? {},
      ...(panel.transformations ? { transformations: [...panel.transformations] } : {}),
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [...spec.tags],
    editable: false,
    schemaVersion: SCHEMA_VERSION,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    links: (spec.links ?? []).map((l) => ({
      ...l,
      tags: [...l.tags],
      type: DashboardLinkType.Dashboards,
      icon: 'external link',
      tooltip: '',
      targetBlank: false,
      includeVars: true,
      keepTime: true,
    })),
    annotations: { list: [] },
    templating: {
      list: spec.variables.map((v) => ({
        name: v.name,
        label: v.label,
        type: VariableType.Query,
        datasource: PROMETHEUS,
        query: { query: v.query, refId: `${v.name}-var` },
        definition: v.query,
        includeAll: true,
        allValue: '.*',
        multi: true,
        current: { text: 'All', value: '$__all' },
        refresh: VariableRefresh.OnTimeRangeChanged,
        sort: VariableSort.AlphabeticalAsc,
      })),
    },
    panels,
  };
}

/** Every PromQL expression of a dashboard, for the parse and contract tests. */
export function promQueries(d: Dashboard): string[] {
  return (d.panels ?? []).flatMap((p) =>
    'targets' in p && p.datasource?.type === 'prometheus' ? (p.targets ?? []).map((t) => (t as PrometheusDataquery).expr) : [],
  );
}
