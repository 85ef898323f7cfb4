import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GRAFANA_RELEASE, SCHEMA_VERSION } from '../../../grafana/src/builder.js';
import { DASHBOARDS } from '../../../grafana/src/dashboards.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const provisioned = (parse(read('grafana/provisioning/datasources/datasources.yaml')) as { datasources: Array<{ uid: string; type: string }> }).datasources;

/** Every `datasource` reference anywhere in a document. */
function datasourceRefs(value: unknown, into: Array<{ uid?: string; type?: string }> = []): Array<{ uid?: string; type?: string }> {
  if (Array.isArray(value)) for (const item of value) datasourceRefs(item, into);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'datasource' && child && typeof child === 'object') into.push(child as { uid?: string; type?: string });
      else datasourceRefs(child, into);
    }
  }
  return into;
}

describe('dashboards and Grafana alerting against the pinned Grafana', () => {
  it('the schema version is the one for the Grafana release .env pins', () => {
    expect(read('.env')).toMatch(new RegExp(`^GRAFANA_IMAGE=grafana/grafana:${GRAFANA_RELEASE.replaceAll('.', '\\.')}$`, 'm'));
    expect(SCHEMA_VERSION).toBe(defaultDashboard().schemaVersion);
    for (const file of Object.keys(DASHBOARDS))
      expect((JSON.parse(read(`grafana/dashboards/${file}.json`)) as { schemaVersion: number }).schemaVersion, file).toBe(SCHEMA_VERSION);
  });

  it('every datasource a dashboard or alert rule names is provisioned, with that uid and type', () => {
    const byUid = new Map(provisioned.map((d) => [d.uid, d.type]));
    const refs = Object.keys(DASHBOARDS).flatMap((file) => datasourceRefs(JSON.parse(read(`grafana/dashboards/${file}.json`))));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(byUid.get(ref.uid!), JSON.stringify(ref)).toBe(ref.type);
    const alerting = parse(read('grafana/provisioning/alerting/batchtel-alerts.yaml')) as {
      groups: Array<{ rules: Array<{ data: Array<{ datasourceUid: string }> }> }>;
    };
    const uids = alerting.groups.flatMap((g) => g.rules.flatMap((r) => r.data.map((d) => d.datasourceUid)));
    expect(uids.length).toBeGreaterThan(0);
    for (const uid of uids) expect(uid === '__expr__' || byUid.has(uid), uid).toBe(true);
  });
});
