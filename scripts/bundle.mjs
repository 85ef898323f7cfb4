// The published JavaScript: one ES module per entry plus shared chunks (one copy of the
// run registry across entries). Loading 3 files instead of ~40 makes `import('batchtel')`
// cost about as much as the OpenTelemetry API it needs (bench/import-cost). The type
// declarations stay tsc's, one per source file.
import { build } from 'esbuild';

await build({
  entryPoints: {
    index: 'src/index.ts',
    'sdk/index': 'src/sdk/index.ts',
    // The export worker thread's own file: the SDK starts it as `../sdk/exportWorker.js` from wherever its code landed (dist/sdk or dist/chunks).
    'sdk/exportWorker': 'src/sdk/delivery/exportWorker.ts',
    'semconv/index': 'src/semconv/index.ts',
    'server/index': 'src/server/index.ts',
    'bullmq/index': 'src/bullmq/index.ts',
    'cli/batchtel': 'src/cli/batchtel.ts',
    // `batchtel demo --workers N` starts it as a process of its own (see distributedDemo.ts).
    'cli/demo/distributedWorker': 'src/cli/demo/distributedWorker.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
