import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('each test file’s temporary root', () => {
  it('os.tmpdir() points into a root of its own, which the setup file removes after the file', () => {
    expect(basename(tmpdir())).toMatch(/^batchtel-test-/);
    const made = mkdtempSync(join(tmpdir(), 'left-behind-'));
    expect(dirname(made)).toBe(tmpdir());
  });
});
