import { DiagLogLevel } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parseKeyValues, readOtelEnv } from '../../../src/sdk/env.js';

describe('OTEL_* environment variables', () => {
  it('reads endpoint, per-signal overrides, protocol, headers, timeout, compression, exporters, sampler, interval', () => {
    const env = readOtelEnv({
      OTEL_SERVICE_NAME: 'billing',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=data%20platform',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=t1',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'console',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=t2,x-scope=traces',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'gzip',
    });
    expect(env).toMatchObject({
      serviceName: 'billing',
      resourceAttributes: { 'deployment.environment.name': 'prod', team: 'data platform' },
      endpoint: 'http://collector:4318',
      signalEndpoints: { traces: 'http://tempo:4318/v1/traces' },
      protocol: 'http/json',
      signalProtocols: { logs: 'http/protobuf' },
      headers: { authorization: 'Bearer abc', 'x-tenant': 't1' },
      timeoutMillis: 5000,
      compression: 'none',
      exporters: { metrics: 'none', logs: 'console' },
      sampler: 'parentbased_traceidratio',
      samplerArg: 0.25,
      metricExportIntervalMillis: 15000,
      signalHeaders: { traces: { 'x-tenant': 't2', 'x-scope': 'traces' } },
      signalTimeouts: { logs: 2500 },
      signalCompression: { metrics: 'gzip' },
    });
  });

  it('reads OTEL_SDK_DISABLED and OTEL_LOG_LEVEL (case-insensitive; anything else leaves them unset)', () => {
    expect(readOtelEnv({ OTEL_SDK_DISABLED: 'TRUE', OTEL_LOG_LEVEL: 'Debug' })).toMatchObject({ sdkDisabled: true, logLevel: DiagLogLevel.DEBUG });
    const env = readOtelEnv({ OTEL_SDK_DISABLED: '1', OTEL_LOG_LEVEL: 'chatty' });
    expect(env.sdkDisabled).toBe(false);
    expect(env.logLevel).toBeUndefined();
  });

  it('ignores malformed values instead of guessing', () => {
    const env = readOtelEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TIMEOUT: 'soon', OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(env.protocol).toBeUndefined();
    expect(env.timeoutMillis).toBeUndefined();
    expect(env.exporters.traces).toBeUndefined();
    expect(parseKeyValues('novalue,=x,a=1')).toEqual({ a: '1' });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', 'endpoint'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'collector:4318/v1/traces', 'signalEndpoints'],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'ftp://collector/v1/metrics', 'signalEndpoints'],
    ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'http://', 'signalEndpoints'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '-5', 'timeoutMillis'],
    ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '10s', 'signalTimeouts'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'protocol'],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli', 'compression'],
    ['OTEL_TRACES_EXPORTER', 'zipkin', 'exporters'],
    ['OTEL_TRACES_SAMPLER_ARG', 'half', 'samplerArg'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '0', 'metricExportIntervalMillis'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', 'never', 'metricExportTimeoutMillis'],
    ['OTEL_LOG_LEVEL', 'chatty', 'logLevel'],
    ['OTEL_SDK_DISABLED', 'yes', 'sdkDisabled'],
    ['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '-1', 'limits'],
    ['OTEL_PROPAGATORS', 'tracecontext,b3', 'propagators'],
  ])('%s=%s: one problem naming the variable, and the default is kept', (name, value) => {
    const env = readOtelEnv({ [name]: value });
    expect(env.problems).toHaveLength(1);
    expect(env.problems[0]).toContain(name);
    expect(env.problems[0]).toContain(JSON.stringify(value));
  });

  it('drops header pairs that could not be sent, and says which variable held them', () => {
    const env = readOtelEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'x-ok=1,bad header=2,x-crlf=a%0D%0Ab,novalue', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x=%ZZ' });
    expect(env.headers).toEqual({ 'x-ok': '1' });
    expect(env.problems.filter((p) => p.includes('OTEL_EXPORTER_OTLP_HEADERS'))).toHaveLength(1);
    expect(env.problems.some((p) => p.includes('OTEL_EXPORTER_OTLP_LOGS_HEADERS'))).toBe(true);
  });

  it('reads propagators and attribute limits', () => {
    const env = readOtelEnv({
      OTEL_PROPAGATORS: 'baggage , tracecontext',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '10',
      OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: '50',
    });
    expect(env.propagators).toEqual(['baggage', 'tracecontext']);
    expect(env.limits).toMatchObject({ attributeValueLengthLimit: 100, spanAttributeCountLimit: 10, logRecordAttributeValueLengthLimit: 50 });
    expect(readOtelEnv({ OTEL_PROPAGATORS: 'none' }).propagators).toEqual([]);
    expect(readOtelEnv({}).problems).toEqual([]);
  });
});
