// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from vitest's JSON reports.
// A suite that fails outside its tests (beforeAll, an import, a crashed worker) counts as one
// failure: its tests show as skipped, and "0 failed" would hide it.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    // A project that crashed before writing its report is a failure, not a silence.
    console.error(`batchtel: no test report at ${file}`);
    failed++;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    if (suite.status !== 'failed' || (suite.assertionResults ?? []).some((test) => test.status === 'failed')) continue;
    console.error(`batchtel: suite failed outside its tests: ${suite.name}: ${(suite.message ?? '').split('\n')[0]}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (passed === 0 || failed > 0) process.exit(1);
