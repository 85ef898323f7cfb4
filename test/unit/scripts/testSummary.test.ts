import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const summary = (...reports: string[]) => spawnSync(process.execPath, ['scripts/test-summary.mjs', ...reports], { cwd: ROOT, encoding: 'utf8' });

describe('the closing line of the test command', () => {
  it('counts a suite that failed in beforeAll as a failure, and names it', () => {
    // A real vitest JSON report: one suite whose beforeAll threw (its 2 tests skipped), one passing.
    const result = summary('test/fixtures/vitest-report-failed-beforeAll.json');
    expect(result.stdout.trim()).toBe('1 passed, 1 failed, 2 skipped');
    expect(result.stderr).toContain('suite failed outside its tests: test/example/a.test.ts: component exited');
    expect(result.status).toBe(1);
  });

  it('counts a missing report as a failure', () => {
    const result = summary('test-output/no-such-report.json');
    expect(result.stdout.trim()).toBe('0 passed, 1 failed, 0 skipped');
    expect(result.status).toBe(1);
  });
});
