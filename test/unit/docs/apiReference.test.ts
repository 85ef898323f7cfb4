import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('the API reference (TypeDoc)', () => {
  it('builds from the public entry points with every export documented and every link resolved', () => {
    // typedoc.json: validation.notDocumented and invalidLink, treatWarningsAsErrors. Nothing written (--emit none).
    // TypeDoc's own compile errors are skipped (half its time): the sources' type errors are the type check's
    // (`npm run typecheck`, a step of `npm test`), over the same files.
    const typedoc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none', '--skipErrorChecking'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const out = `${typedoc.stdout}${typedoc.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    expect(out.split('\n').filter((line) => /\[(warning|error)\]/.test(line))).toEqual([]);
    expect(typedoc.status, out).toBe(0);
  }, 180_000);
});
