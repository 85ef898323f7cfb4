/**
 * Grafana-managed alert rules, typed with the foundation SDK's alerting
 * schema (`Rule`, `Query`; each query built by its datasource's builder), and
 * the one mapping from those rules to Grafana's file-provisioning format
 * (grafana/provisioning/alerting/): the API's per-rule `folderUID`, `orgID`
 * and `ruleGroup` become the file's group-level `orgId`, `folder` and `name`.
 */
import type { Rule } from '@grafana/grafana-foundation-sdk/alerting';
import { TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { DataqueryBuilder as PrometheusQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import type { AlertRule } from './alerts.js';
import { PROMETHEUS } from './builder.js';

export const FOLDER = 'batchtel';
const GROUP = 'batchtel';
const ORG = 1;

/** One batchtel rule as a Grafana-managed rule: its PromQL, then "any series returned is firing". */
export function grafanaRule(rule: AlertRule, labels: Record<string, string>, annotations: Record<string, string>): Rule {
  return {
    uid: `batchtel-${rule.alert.toLowerCase()}`.slice(0, 40),
    title: rule.alert,
    folderUID: FOLDER,
    orgID: ORG,
    ruleGroup: GROUP,
    condition: 'B',
    data: [
      {
        refId: 'A',
        relativeTimeRange: { from: 86_400, to: 0 },
        datasourceUid: PROMETHEUS.uid,
        model: new PrometheusQuery().refId('A').expr(rule.expr).instant().build(),
      },
      // The PromQL already holds the comparison: any series returned is firing.
      {
        refId: 'B',
        datasourceUid: '__expr__',
        model: new TypeThresholdBuilder()
          .refId('B')
          .expression('A')
          .conditions([{ evaluator: { type: 'gt', params: [0] } }])
          .build(),
      },
    ],
    for: rule.for,
    noDataState: 'OK',
    execErrState: 'Error',
    labels,
    annotations,
  };
}

/** The file-provisioning document (apiVersion 1) for rules of one folder and group. */
export function provisioningFile(rules: readonly Rule[], interval: string): Record<string, unknown> {
  const groups = new Map<string, Rule[]>();
  for (const rule of rules) {
    const key = JSON.stringify([rule.orgID, rule.folderUID, rule.ruleGroup]);
    groups.set(key, [...(groups.get(key) ?? []), rule]);
  }
  // Through JSON: the SDK's query objects carry a marker method, which YAML cannot hold.
  return JSON.parse(
    JSON.stringify({
      apiVersion: 1,
      groups: [...groups.values()].map((members) => ({
        orgId: members[0]!.orgID,
        name: members[0]!.ruleGroup,
        folder: members[0]!.folderUID,
        interval,
        rules: members.map(({ folderUID: _folder, orgID: _org, ruleGroup: _group, ...rule }) => rule),
      })),
    }),
  ) as Record<string, unknown>;
}
