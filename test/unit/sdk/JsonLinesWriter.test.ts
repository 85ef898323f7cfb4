import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { JsonLinesWriter, LOCAL_MAX_BYTES } from '../../../src/sdk/JsonLinesWriter.js';

function request(from: number, n: number): Uint8Array {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  for (let i = 0; i < n; i++) provider.getLogger('t').emit({ body: `line ${from + i}`.padEnd(200, '.') });
  return JsonLogsSerializer.serializeRequest(memory.getFinishedLogRecords())!;
}

describe('JsonLinesWriter', () => {
  it('is bounded: past maxBytes the oldest lines go, and what went is counted in requests and records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchtel-local-unit-'));
    const writer = new JsonLinesWriter(dir, 'logs.jsonl', 'logs', 20_000);
    let evicted = { requests: 0, records: 0 };
    for (let i = 0; i < 100; i++) {
      // The first 10 written by an earlier process (counted from their content), the rest by this writer (counted as told).
      const out = i < 10 ? new JsonLinesWriter(dir, 'logs.jsonl', 'logs', 20_000).append(request(i * 2, 2)) : writer.append(request(i * 2, 2), 2);
      evicted = { requests: evicted.requests + out.requests, records: evicted.records + out.records };
      expect(statSync(join(dir, 'logs.jsonl')).size).toBeLessThanOrEqual(20_000);
    }
    const kept = readFileSync(join(dir, 'logs.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(kept.length).toBeGreaterThan(0);
    expect(evicted.requests + kept.length).toBe(100);
    expect(evicted.records).toBe(2 * evicted.requests);
    // Oldest first: what is left is the newest, in order.
    const first = (JSON.parse(kept[0]!) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string } }> }> }> })
      .resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body.stringValue;
    expect(first.startsWith(`line ${2 * (100 - kept.length)}.`)).toBe(true);
    expect(LOCAL_MAX_BYTES).toBe(64 * 1024 * 1024);
  });
});
