import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pinnedRelease, prometheusTools } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** promtool from the Prometheus release compose runs: its PromQL is the one the rules meet. */
const promtool = (...args: string[]) => execFileSync(prometheusTools().promtool, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('alert rules under promtool', () => {
  it('is the promtool of the Prometheus release docker-compose.yml pins', () => {
    expect(promtool('--version')).toContain(`version ${pinnedRelease('PROMETHEUS_IMAGE')}`);
  });

  it('check rules: valid PromQL and templates', () => {
    const out = promtool('check', 'rules', 'prometheus/rules/batchtel.rules.yml');
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('test rules: every rule fires when it should and stays silent on healthy and idle series', () => {
    const out = execFileSync(prometheusTools().promtool, ['test', 'rules', 'batchtel.test.yml'], {
      cwd: join(ROOT, 'prometheus/rules/tests'),
      encoding: 'utf8',
    });
    console.log(out.trim());
    expect(out).toContain('SUCCESS');
  });
});
