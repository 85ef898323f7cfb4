/**
 * Renders the telemetry reference (docs/telemetry.md) from src/semconv.ts, so
 * the docs cannot drift from the contract. `npx tsx scripts/telemetry-table.ts --write`
 * (part of `npm run generate`) rewrites the block between the markers; a unit
 * test fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prom from '../src/prometheusNames.js';
import * as sc from '../src/semconv.js';

export const BEGIN = '<!-- telemetry:begin (generated from src/semconv.ts by scripts/telemetry-table.ts) -->';
export const END = '<!-- telemetry:end -->';
/** The page the tables live in, relative to the repository root. */
export const TELEMETRY_DOC = 'docs/telemetry.md';

const code = (s: string) => `\`${s}\``;

export function renderTelemetryTable(): string {
  const lines: string[] = [];
  lines.push('## Metrics', '');
  lines.push('| OTel name | instrument | unit | Prometheus name | attributes | description |', '|---|---|---|---|---|---|');
  for (const def of Object.values(sc.BATCH_METRICS)) {
    lines.push(
      `| ${code(def.name)} | ${def.instrument.replace('_', ' ')} | ${code(def.unit)} | ${prom.prometheusSeriesNames(def).map(code).join('<br>')} | ${def.attributes.map(code).join(', ')} | ${def.description} |`,
    );
  }
  lines.push('', '## Pipeline self-telemetry (`batchtel/sdk`)', '');
  lines.push('| OTel name | instrument | unit | Prometheus name | attributes | description |', '|---|---|---|---|---|---|');
  for (const def of Object.values(sc.DELIVERY_METRICS)) {
    lines.push(
      `| ${code(def.name)} | ${def.instrument.replace('_', ' ')} | ${code(def.unit)} | ${prom.prometheusSeriesNames(def).map(code).join('<br>')} | ${def.attributes.map(code).join(', ')} | ${def.description} |`,
    );
  }
  lines.push('', '## Spans', '');
  lines.push('| name | when | attributes |', '|---|---|---|');
  lines.push(
    `| ${code(sc.spanNameRun('{operation}'))} | one per run | ${[sc.ATTR_BATCH_NAME, sc.ATTR_BATCH_OPERATION, sc.ATTR_BATCH_CATEGORY, sc.ATTR_BATCH_SERVICE, sc.ATTR_BATCH_RUN_ID, sc.ATTR_BATCH_ITEMS_TOTAL, sc.ATTR_BATCH_RUN_RESULT, sc.ATTR_BATCH_ITEMS_SUCCEEDED, sc.ATTR_BATCH_ITEMS_FAILED, sc.ATTR_BATCH_ITEMS_SKIPPED, sc.ATTR_ERROR_TYPE, `${sc.ATTR_BATCH_METADATA_PREFIX}*`].map(code).join(', ')} |`,
  );
  lines.push(
    `| ${code(sc.spanNameChunk('{operation}'))} | one per chunk, child of the run (or of its segment); status ERROR when the chunk failed | ${[sc.ATTR_BATCH_RUN_ID, sc.ATTR_BATCH_CHUNK_INDEX, sc.ATTR_BATCH_CHUNK_SIZE, sc.ATTR_BATCH_ITEMS_FAILED, sc.ATTR_ERROR_TYPE].map(code).join(', ')} |`,
  );
  lines.push(
    `| ${code(sc.spanNameSegment('{operation}'))} | root of a new trace once a run's trace holds \`maxChunksPerTrace\` chunks or is \`maxTraceAgeMs\` old; linked to the run span | ${[sc.ATTR_BATCH_RUN_ID, sc.ATTR_BATCH_RUN_SEGMENT].map(code).join(', ')} |`,
  );
  lines.push(
    `| ${code(sc.spanNameItem('{operation}'))} | optional, sampled by \`itemSpanRatio\`, for item-level tracking | ${[sc.ATTR_BATCH_RUN_ID, sc.ATTR_BATCH_ITEM_ID, sc.ATTR_BATCH_ITEM_STAGE, sc.ATTR_BATCH_ITEM_OUTCOME].map(code).join(', ')} |`,
  );
  lines.push(
    `| span event ${code(sc.SPAN_EVENT_RATE_LIMITED)} | on the chunk (or run) span per HTTP 429 | ${[sc.ATTR_HTTP_RESPONSE_STATUS_CODE, sc.ATTR_BATCH_RATE_LIMIT_RETRY_AFTER].map(code).join(', ')} (seconds) |`,
  );
  lines.push(
    `| span event ${code(sc.SPAN_EVENT_CHUNK_RETRY)} | on the chunk span of a distributed run's chunk that runs again (after a failure or a dead worker) | ${[sc.ATTR_BATCH_CHUNK_ATTEMPT].map(code).join(', ')} |`,
  );
  lines.push(
    `| span event ${code(sc.SPAN_EVENT_EXCEPTION)} | opt-in only (\`exceptionSpanEvents\`); deprecated in semconv 1.40 | ${[sc.ATTR_EXCEPTION_TYPE, sc.ATTR_EXCEPTION_MESSAGE, sc.ATTR_EXCEPTION_STACKTRACE].map(code).join(', ')} |`,
  );
  lines.push('', '## Log events (LogRecord `eventName`)', '');
  lines.push('| eventName | severity | attributes |', '|---|---|---|');
  lines.push(`| ${code(sc.EVENT_BATCH_RUN_STARTED)} | INFO | run identity, ${code(sc.ATTR_BATCH_ITEMS_TOTAL)}, ${code(`${sc.ATTR_BATCH_METADATA_PREFIX}*`)} |`);
  lines.push(
    `| ${code(sc.EVENT_BATCH_CHUNK_COMPLETED)} | opt-in (\`telemetry.chunkEvents\`); INFO, WARN if the chunk failed | ${[sc.ATTR_BATCH_RUN_ID, sc.ATTR_BATCH_CHUNK_INDEX, sc.ATTR_BATCH_CHUNK_SIZE, sc.ATTR_BATCH_ITEMS_FAILED, sc.ATTR_ERROR_TYPE].map(code).join(', ')} |`,
  );
  lines.push(
    `| ${code(sc.EVENT_EXCEPTION)} | ERROR, correlated to the chunk or run span | ${[sc.ATTR_EXCEPTION_TYPE, sc.ATTR_EXCEPTION_MESSAGE, sc.ATTR_EXCEPTION_STACKTRACE, sc.ATTR_ERROR_TYPE, sc.ATTR_HTTP_RESPONSE_STATUS_CODE, sc.ATTR_BATCH_RATE_LIMIT_RETRY_AFTER, sc.ATTR_BATCH_CHUNK_INDEX].map(code).join(', ')} |`,
  );
  lines.push(
    `| ${code(sc.EVENT_BATCH_ALERT)} | WARN when firing, INFO when resolved | ${[sc.ATTR_BATCH_ALERT_GROUP, sc.ATTR_BATCH_ALERT_SEVERITY, sc.ATTR_BATCH_ALERT_STATE, sc.ATTR_BATCH_ALERT_MESSAGE, sc.ATTR_BATCH_ALERT_VALUE, sc.ATTR_BATCH_ALERT_THRESHOLD].map(code).join(', ')}; groups ${Object.values(sc.BATCH_ALERT_GROUP_VALUES).map(code).join(', ')} |`,
  );
  lines.push(
    `| ${code(sc.EVENT_BATCH_RUN_FINISHED)} | INFO, ERROR unless success | the summary: ${[sc.ATTR_BATCH_RUN_RESULT, sc.ATTR_BATCH_ITEMS_SUCCEEDED, sc.ATTR_BATCH_ITEMS_FAILED, sc.ATTR_BATCH_ERRORS, sc.ATTR_BATCH_RATE_LIMIT_HITS, sc.ATTR_BATCH_ITEMS_PER_SECOND, sc.ATTR_BATCH_CHUNK_DURATION_P50, sc.ATTR_BATCH_CHUNK_DURATION_P95, sc.ATTR_BATCH_CHUNK_DURATION_P99, sc.ATTR_BATCH_CHUNK_DURATION_DEVIATION].map(code).join(', ')}, …; body = the finish message |`,
  );
  lines.push(
    '',
    `Run results (${code(sc.ATTR_BATCH_RUN_RESULT)}, as \`cicd.pipeline.result\`): ${Object.values(sc.BATCH_RUN_RESULT_VALUES).map(code).join(', ')}. Item outcomes (${code(sc.ATTR_BATCH_ITEM_OUTCOME)}): ${Object.values(sc.BATCH_ITEM_OUTCOME_VALUES).map(code).join(', ')}.`,
  );
  return lines.join('\n');
}

export function withTable(page: string): string {
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${TELEMETRY_DOC} has no telemetry markers`);
  return `${page.slice(0, start + BEGIN.length)}\n${renderTelemetryTable()}\n${page.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const path = new URL(`../${TELEMETRY_DOC}`, import.meta.url);
  writeFileSync(path, withTable(readFileSync(path, 'utf8')));
}
