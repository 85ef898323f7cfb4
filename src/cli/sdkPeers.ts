/** The optional peers that batchtel/sdk, batchtel/server and the CLI need, as npm install arguments; a test keeps them equal to package.json. */
export const SDK_PEERS: readonly string[] = [
  '@opentelemetry/context-async-hooks@2.12.0',
  '@opentelemetry/core@2.12.0',
  '@opentelemetry/exporter-metrics-otlp-http@0.223.0',
  '@opentelemetry/exporter-metrics-otlp-proto@0.223.0',
  '@opentelemetry/otlp-transformer@0.223.0',
  '@opentelemetry/resources@2.12.0',
  '@opentelemetry/sdk-logs@0.223.0',
  '@opentelemetry/sdk-metrics@2.12.0',
  '@opentelemetry/sdk-trace@2.12.0',
  'zod@^4.1.0',
];
