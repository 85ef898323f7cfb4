/**
 * A small typed builder for Grafana dashboard JSON: only what our dashboards
 * use, so generate.ts stays readable and the JSON is reviewable.
 */
export type Datasource = { type: 'prometheus' | 'loki' | 'tempo'; uid: string };
export const PROMETHEUS: Datasource = { type: 'prometheus', uid: 'prometheus' };
export const LOKI: Datasource = { type: 'loki', uid: 'loki' };

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
  readonly transformations?: readonly Record<string, unknown>[];
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
  readonly links?: readonly Record<string, unknown>[];
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function dashboard(spec: DashboardSpec): Record<string, unknown> {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = spec.panels.map((panel, index) => {
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
      targets: panel.queries.map((q, i) => ({
        refId: REF_IDS[i],
        datasource,
        expr: q.expr,
        ...(q.legend ? { legendFormat: q.legend } : {}),
        ...(q.instant ? { instant: true, range: false } : {}),
        ...(q.format ? { format: q.format } : {}),
        ...(q.exemplar ? { exemplar: true } : {}),
      })),
      fieldConfig: { defaults: { ...(panel.unit ? { unit: panel.unit } : {}), ...(panel.fieldConfig ?? {}) }, overrides: [] },
      options: panel.options ?? {},
      ...(panel.transformations ? { transformations: panel.transformations } : {}),
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: false,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    links: spec.links ?? [],
    templating: {
      list: spec.variables.map((v) => ({
        name: v.name,
        label: v.label,
        type: 'query',
        datasource: PROMETHEUS,
        query: { query: v.query, refId: `${v.name}-var` },
        definition: v.query,
        includeAll: true,
        allValue: '.*',
        multi: true,
        current: { text: 'All', value: '$__all' },
        refresh: 2,
        sort: 1,
      })),
    },
    panels,
  };
}

/** Every PromQL expression of a dashboard, for the parse and contract tests. */
export function promQueries(d: Record<string, unknown>): string[] {
  return (d['panels'] as Array<{ datasource: Datasource; targets: Array<{ expr: string }> }>).flatMap((p) =>
    p.datasource.type === 'prometheus' ? p.targets.map((t) => t.expr) : [],
  );
}
