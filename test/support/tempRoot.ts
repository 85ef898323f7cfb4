/**
 * Every test file gets its own temporary root, removed after the file: TMPDIR
 * points into it, so whatever the file (or a process it starts) creates with
 * os.tmpdir() goes with it, whether or not the test removed it itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const previous = process.env['TMPDIR'];
const root = mkdtempSync(join(tmpdir(), 'batchtel-test-'));
process.env['TMPDIR'] = root;

// Registered before the file's own hooks, so it runs after them (vitest runs after-hooks as a stack).
afterAll(() => {
  if (previous === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = previous;
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});
