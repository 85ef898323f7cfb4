/**
 * File-level tracking with stages, ETA and quality: files go through
 * `parsing` and `embedding`. Run: `npx tsx examples/file-tracker.ts`.
 */
import { ProgressTracker } from '../src/index.js';

const files = Array.from({ length: 12 }, (_, i) => `report-${i + 1}.pdf`);
const tracker = new ProgressTracker('session-example', {
  mode: 'enhanced',
  total: files.length,
  callbacks: { onPerformanceAlert: (alert) => console.log(`alert: ${alert.message}`) },
});

for (const [i, file] of files.entries()) {
  if (i === files.length / 2) {
    const eta = tracker.calculateETA(); // undefined until there is something to estimate from
    if (eta) console.log(`halfway: ETA ${Math.round(eta.estimatedTimeRemainingMs)} ms, confidence ${eta.confidence.toFixed(2)} (${eta.method})`);
  }
  tracker.updateFileProgress(file, { status: 'processing', stage: 'parsing', progress: 30 });
  await new Promise((resolve) => setTimeout(resolve, 10));
  tracker.updateFileProgress(file, { status: 'processing', stage: 'embedding', progress: 70, stageProgress: 50 });
  tracker.reportUsage({ inputTokens: 800, outputTokens: 0, cost: 0.0001 });
  tracker.reportQuality(0.9);
  await new Promise((resolve) => setTimeout(resolve, 10));
  tracker.updateFileProgress(file, { status: 'completed', progress: 100 });
}
const metrics = tracker.getCurrentMetrics();
console.log(`${metrics.filesCompleted}/${metrics.totalFiles} files, ${metrics.progressPercentage.toFixed(0)}%`);
tracker.stop();
