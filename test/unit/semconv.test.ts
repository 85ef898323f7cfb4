import { readFileSync } from 'node:fs';
import * as upstream from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import * as prom from '../../src/prometheusNames.js';
import * as sc from '../../src/semconv.js';
import * as entry from '../../src/semconv/index.js';
import { VERSION } from '../../src/version.js';
import { TELEMETRY_DOC, withTable } from '../../scripts/telemetry-table.js';

const ROOT = new URL('../../', import.meta.url);

describe('the telemetry contract', () => {
  it('names are dotted lowercase, without _total, units are UCUM', () => {
    for (const def of sc.ALL_METRICS) {
      expect(def.name, def.name).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/);
      expect(def.name.endsWith('_total') || def.name.endsWith('.total')).toBe(false);
      expect(def.unit, def.name).toMatch(/^(s|By|1|\{[a-z_A-Z]+\})$/);
      if (def.instrument === 'histogram') expect(def.buckets, `${def.name} needs explicit buckets`).toBeDefined();
    }
    const names = sc.ALL_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('duration histograms are in seconds with buckets from milliseconds to minutes', () => {
    expect(sc.BATCH_METRICS.chunkDuration.unit).toBe('s');
    expect(sc.CHUNK_DURATION_BUCKETS[0]).toBeLessThanOrEqual(0.005);
    expect(sc.CHUNK_DURATION_BUCKETS.at(-1)).toBeGreaterThanOrEqual(300);
    expect(sc.BATCH_METRICS.chunkDuration.attributes).toContain(sc.ATTR_ERROR_TYPE);
  });

  it('maps to the Prometheus names the collector translator produces', () => {
    expect(prom.PROM.itemsProcessed).toBe('batch_items_processed_total');
    expect(prom.PROM.chunkDuration).toBe('batch_chunk_duration_seconds');
    expect(prom.prometheusSeriesNames(sc.BATCH_METRICS.chunkDuration)).toEqual([
      'batch_chunk_duration_seconds_bucket',
      'batch_chunk_duration_seconds_sum',
      'batch_chunk_duration_seconds_count',
    ]);
    expect(prom.PROM.runsActive).toBe('batch_runs_active');
    expect(prom.PROM.runProgress).toBe('batch_run_progress_ratio');
    expect(prom.PROM.runEta).toBe('batch_run_eta_seconds');
    expect(prom.PROM.itemQuality).toBe('batch_item_quality');
    expect(prom.PROM.rateLimitRetryAfter).toBe('batch_rate_limit_retry_after_seconds');
    expect(prom.PROM.spanExported).toBe('otel_sdk_exporter_span_exported_total');
    expect(prom.PROM_LABEL.errorType).toBe('error_type');
  });

  it('names taken from the OpenTelemetry semantic conventions are spelled as the published package spells them', () => {
    // Ours are the names batchtel defines itself (batch.*, batchtel.*); every other constant must exist upstream, equal.
    const published = { ...incubating, ...upstream } as Record<string, unknown>;
    const reused = Object.entries(sc).filter(
      ([key, value]) => /^(ATTR|METRIC|EVENT)_/.test(key) && typeof value === 'string' && !/^(batch|batchtel)[._]/.test(value),
    );
    expect(reused.map(([key]) => key)).toEqual(
      expect.arrayContaining(['ATTR_ERROR_TYPE', 'ATTR_OTEL_COMPONENT_TYPE', 'METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED']),
    );
    for (const [key, value] of reused) expect(published[key], key).toBe(value);
  });

  it('span names are low-cardinality: a fixed prefix and the operation', () => {
    expect(sc.spanNameRun('sync_users')).toBe('batch sync_users');
    expect(sc.spanNameChunk('sync_users')).toBe('batch.chunk sync_users');
  });

  it('batchtel/semconv carries every name users query by, and no definitions or Prometheus naming', () => {
    const queryable = Object.keys(sc).filter((name) => /^(ATTR|METRIC|EVENT|SPAN)_|_VALUES$/.test(name) && !name.endsWith('_BUCKETS'));
    expect(
      queryable.filter((name) => !(name in entry)),
      'add them to src/semconv/index.ts',
    ).toEqual([]);
    for (const internal of ['BATCH_METRICS', 'DELIVERY_METRICS', 'ALL_METRICS', 'PROM', 'PROM_LABEL', 'prometheusName'])
      expect(entry).not.toHaveProperty(internal);
  });

  it('the telemetry reference tables are generated from this file and current', () => {
    const page = readFileSync(new URL(TELEMETRY_DOC, ROOT), 'utf8');
    expect(page, 'run: npx tsx scripts/telemetry-table.ts --write').toBe(withTable(page));
  });

  it('the instrumentation scope version follows package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('no other source file spells a telemetry name as a string literal', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = `${dir}/${entry}`;
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('/semconv.ts')) files.push(path);
      }
    };
    walk(new URL('src', ROOT).pathname);
    const names = [...sc.ALL_METRICS.map((m) => m.name), ...sc.EVENT_NAMES.filter((n) => n !== 'exception')];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const name of names) expect(text.includes(`'${name}'`) || text.includes(`"${name}"`), `${file} spells '${name}'`).toBe(false);
    }
  });
});
