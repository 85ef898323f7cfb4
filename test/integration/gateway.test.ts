import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpSink } from '../support/otlpSink.js';
import { collectorBinary, Stack, waitFor, type Collector } from '../support/stack.js';

const GATEWAYS = ['g1', 'g2'];

describe('a gateway tier behind the trace-ID load-balancing agent', () => {
  const stack = new Stack();
  const tempo = new OtlpSink();
  let agent: Collector;

  beforeAll(async () => {
    const binary = collectorBinary();
    const url = await tempo.start();
    const gateways: Collector[] = [];
    for (const name of GATEWAYS) {
      gateways.push(
        await stack.collector(
          'gateway.yaml',
          {
            BATCHTEL_GATEWAY_NAME: name,
            BATCHTEL_TRACES_URL: `${url}/v1/traces`,
            BATCHTEL_LOGS_URL: `${url}/v1/logs`,
            BATCHTEL_OTLP_ENCODING: 'json',
            BATCHTEL_DECISION_WAIT: '1s',
            BATCHTEL_SAMPLE_PERCENT: '100',
            BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), `batchtel-${name}-`)),
          },
          { binary },
        ),
      );
    }
    agent = await stack.collector(
      'agent-loadbalancing.yaml',
      {
        BATCHTEL_GATEWAYS: `[${gateways.map((g) => `127.0.0.1:${g.ports.grpc}`).join(', ')}]`,
        BATCHTEL_PROMETHEUS_OTLP_URL: 'http://127.0.0.1:1/api/v1/otlp/v1/metrics',
        BATCHTEL_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'batchtel-lb-')),
      },
      { binary },
    );
  }, 900_000);

  afterAll(async () => {
    await stack.stop();
    await tempo.stop();
  });

  it('every span of a trace lands on one gateway, and both gateways share the traces', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'lb-check' }),
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${agent.endpoint}/v1/traces` }), scheduledDelayMillis: 100 })],
    });
    const tracer = provider.getTracer('lb');
    const traces = 40;
    const perTrace = 4;
    for (let i = 0; i < traces; i++) {
      const root = tracer.startSpan(`run ${i}`, { root: true });
      const ctx = trace.setSpan(context.active(), root);
      for (let k = 1; k < perTrace; k++) {
        tracer.startSpan(`chunk ${i}.${k}`, {}, ctx).end();
        // Spans of one trace leave in different export batches, as chunks of a long run do.
        if (k === 2) await provider.forceFlush();
      }
      root.end();
    }
    await provider.shutdown();
    await waitFor(
      'every span through the gateways',
      async () => countSpans() === traces * perTrace,
      60_000,
      () => `received ${countSpans()} of ${traces * perTrace}\n${agent.logs()}`,
    );

    const gatewayOfTrace = new Map<string, Set<string>>();
    for (const request of tempo.of('traces')) {
      for (const rs of (
        request.json as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: Array<{ traceId: string }> }>;
          }>;
        }
      ).resourceSpans) {
        const gateway = rs.resource.attributes.find((a) => a.key === 'batchtel.gateway')?.value.stringValue ?? '?';
        for (const span of rs.scopeSpans.flatMap((s) => s.spans)) {
          if (!gatewayOfTrace.has(span.traceId)) gatewayOfTrace.set(span.traceId, new Set());
          gatewayOfTrace.get(span.traceId)!.add(gateway);
        }
      }
    }
    expect(gatewayOfTrace.size).toBe(traces);
    for (const gateways of gatewayOfTrace.values()) expect(gateways.size).toBe(1);
    const perGateway = [...gatewayOfTrace.values()].reduce<Record<string, number>>((acc, g) => {
      const name = [...g][0]!;
      acc[name] = (acc[name] ?? 0) + 1;
      return acc;
    }, {});
    expect(Object.keys(perGateway).sort()).toEqual(['g1', 'g2']);
    console.log(
      `gateway tier: sent ${traces * perTrace} spans in ${traces} traces, received ${countSpans()}; traces per gateway ${JSON.stringify(perGateway)}; every trace on exactly one gateway`,
    );
  });

  function countSpans(): number {
    return tempo.spans().length;
  }
});
