import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('alert rules under promtool', () => {
  it('check rules: valid PromQL and templates', () => {
    const out = promtool('check', 'rules', 'prometheus/rules/batchtel.rules.yml');
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('test rules: every rule fires when it should and stays silent on healthy and idle series', () => {
    const out = execFileSync('promtool', ['test', 'rules', 'batchtel.test.yml'], { cwd: join(ROOT, 'prometheus/rules/tests'), encoding: 'utf8' });
    console.log(out.trim());
    expect(out).toContain('SUCCESS');
  });
});
