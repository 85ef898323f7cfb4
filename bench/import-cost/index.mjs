// Cost of `import('batchtel')` next to `import('@opentelemetry/api')`, each in a fresh
// Node process (cold module cache), interleaved so both see the same machine load.
// Prints the medians and their ratio; exits 1 when batchtel costs more than 2× the API.
// Needs the build (npm run build): batchtel is imported by its package name, as users do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(new URL('dist/index.js', new URL(`file://${root}`)))) {
  console.error('bench/import-cost: run `npm run build` first');
  process.exit(2);
}
const runs = Number(process.env.RUNS ?? 21);
const targets = ['@opentelemetry/api', 'batchtel', 'zod'];

/** Milliseconds from before the import to its resolution, in a new process. */
function once(specifier) {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' }));
}

const samples = Object.fromEntries(targets.map((t) => [t, []]));
for (const t of targets) once(t); // warm the file-system cache once each
for (let i = 0; i < runs; i++) for (const t of targets) samples[t].push(once(t));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`import cost, median of ${runs} fresh processes (node ${process.version}):`);
for (const t of targets) console.log(`  ${t.padEnd(20)} ${median(samples[t]).toFixed(1).padStart(7)} ms`);
const ratio = median(samples['batchtel']) / median(samples['@opentelemetry/api']);
console.log(`  batchtel / @opentelemetry/api: ${ratio.toFixed(2)}x (target <= 2x)`);
process.exit(ratio <= 2 ? 0 : 1);
