import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// `docker compose config` needs the compose plugin, which this machine lacks; the same checks, by hand.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    { image?: string; build?: unknown; ports?: string[]; healthcheck?: unknown; volumes?: string[]; environment?: Record<string, string> }
  >;
  volumes: Record<string, unknown>;
};
const env = Object.fromEntries(
  readFileSync(join(ROOT, '.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=') as [string, string]),
);

describe('docker-compose.yml', () => {
  it('pins every image in .env, none floating', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const image = service.image!;
      const variable = /^\$\{([A-Z_]+)\}/.exec(image)?.[1] ?? /:\$\{([A-Z_]+)\}$/.exec(image)?.[1];
      expect(variable, `${name} image ${image} comes from .env`).toBeDefined();
      const resolved = image.replace(/\$\{([A-Z_]+)\}/g, (_m, v: string) => env[v] ?? '');
      expect(resolved, name).toMatch(/:[0-9v][\w.-]*$/);
      expect(resolved).not.toMatch(/:latest$/);
    }
  });

  it('publishes ports on 127.0.0.1 only, and has health checks and named volumes', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
      expect(service.healthcheck, `${name} health check`).toBeDefined();
      const named = (service.volumes ?? []).filter((v) => !v.startsWith('.'));
      for (const volume of named) expect(Object.keys(compose.volumes), name).toContain(volume.split(':')[0]);
    }
  });

  it('has no default Grafana admin password', () => {
    expect(compose.services['grafana']!.environment!['GF_SECURITY_ADMIN_PASSWORD']).toMatch(/^\$\{GF_ADMIN_PASSWORD:\?/);
  });

  it('mounts files that exist, and sets only variables the collector config reads', () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        if (volume.startsWith('.')) expect(existsSync(join(ROOT, volume.split(':')[0]!)), volume).toBe(true);
      }
    }
    const agent = readFileSync(join(ROOT, 'collector-config/agent.yaml'), 'utf8');
    for (const variable of Object.keys(compose.services['otelcol']!.environment!)) expect(agent, variable).toContain(`\${env:${variable}`);
  });
});

describe('the collector compose builds is the one the tests build', () => {
  const manifest = parse(readFileSync(join(ROOT, 'collector-config/builder-config.yaml'), 'utf8')) as {
    dist: { version: string };
    receivers: Array<{ gomod: string }>;
    processors: Array<{ gomod: string }>;
    exporters: Array<{ gomod: string }>;
    extensions: Array<{ gomod: string }>;
  };
  const dockerfile = readFileSync(join(ROOT, 'collector-config/Dockerfile'), 'utf8');

  it('.env, the Dockerfile and the builder manifest name one collector release, and every component is at it', () => {
    const version = env['OTELCOL_VERSION'] ?? '';
    expect(version, '.env sets OTELCOL_VERSION').toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.dist.version).toBe(version);
    expect(/^ARG OTELCOL_VERSION=(.+)$/m.exec(dockerfile)?.[1]).toBe(version);
    const components = [...manifest.receivers, ...manifest.processors, ...manifest.exporters, ...manifest.extensions];
    for (const { gomod } of components) expect(gomod, gomod).toMatch(new RegExp(` v${version.replaceAll('.', '\\.')}$`));
  });

  it('builds with a Go at least as new as the manifest says its modules need', () => {
    const needs = /Needs Go (\d+\.\d+)/.exec(readFileSync(join(ROOT, 'collector-config/builder-config.yaml'), 'utf8'))?.[1];
    expect(needs, 'the manifest says which Go its modules need').toBeDefined();
    const minor = (v: string) => Number(v.split('.')[1]);
    for (const image of [env['GO_IMAGE']!, /^ARG GO_IMAGE=(.+)$/m.exec(dockerfile)![1]!]) {
      const go = /^golang:(\d+\.\d+)/.exec(image)?.[1];
      expect(go, image).toBeDefined();
      expect(minor(go!), image).toBeGreaterThanOrEqual(minor(needs!));
    }
  });
});
