/**
 * Analytics events on OpenTelemetry: sampled log records, exact counts and
 * duration histograms. Run: `npx tsx examples/analytics-events.ts`.
 */
import { createEvents } from '../src/index.js';
import { startTelemetry } from '../src/sdk/index.js';

const telemetry = startTelemetry({ serviceName: 'example-events' });
const events = createEvents({ samplingRates: { cache_hit: 0.05, message_processed: 0.1 } });

for (let i = 0; i < 1000; i++) {
  events.event('message_processed', { 'message.kind': i % 2 ? 'chat' : 'email' }, { values: { durationMs: 5 + (i % 40) } });
  if (i % 3 === 0) events.event('cache_hit', {}, { priority: 'low' });
}
events.event('command.failed', { 'command.name': 'chat', 'error.type': 'TimeoutError' }); // an error: kept, sent early

const stats = events.stats();
console.log(JSON.stringify(stats));
await telemetry.shutdown();
