import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `docker compose config` needs the compose plugin, which this machine does not
 * have; Debian's docker-compose (v1) validates the same file offline. It predates
 * the top-level `name:` key, so that one line is left out of the copy it reads.
 */
function composeConfig(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').replace(/^name: .*\n/m, ''));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'GF_ADMIN_PASSWORD'));
  return spawnSync('docker-compose', ['-f', file, '--project-directory', ROOT, 'config'], { cwd: ROOT, env: { ...clean, ...env }, encoding: 'utf8' });
}

describe('docker-compose.yml under a real Compose parser', () => {
  it('is valid, with images resolved from .env', () => {
    execFileSync('docker-compose', ['version'], { encoding: 'utf8' });
    const result = composeConfig({ GF_ADMIN_PASSWORD: 'a-test-password' });
    expect(result.status, result.stderr).toBe(0);
    const config = parse(result.stdout) as { services: Record<string, { image?: string }> };
    expect(Object.keys(config.services).sort()).toEqual(['alertmanager', 'grafana', 'loki', 'otelcol', 'prometheus', 'tempo']);
    for (const service of Object.values(config.services)) expect(service.image).not.toContain('${');
  });

  it('refuses to start Grafana without an admin password', () => {
    const result = composeConfig({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set GF_ADMIN_PASSWORD');
  });
});
