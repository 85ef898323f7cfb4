import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../src/server/index.js';
import { openApiPath } from '../../../src/server/openapi.js';
import { serverPerTest, type TestServer } from './helpers.js';

let s: TestServer;
serverPerTest(
  (server) => (s = server),
  () => s,
);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI description', () => {
  it('is served as OpenAPI 3.1 without credentials', async () => {
    const res = await s.request('/api/batch/openapi.json', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('lists exactly the routes of the router table, and the router answers every one of them', async () => {
    const spec = (await s.request('/api/batch/openapi.json')).body;
    const inSpec = Object.entries(spec.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    const inTable = ROUTES.map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
    expect(inSpec).toEqual(inTable);
    expect(new Set(inTable).size).toBe(inTable.length);

    // Every documented route is dispatched: none answers "no route" (404 without a run) or 405.
    for (const route of ROUTES) {
      const path = route.path.replace(':id', 'no-such-run');
      if (route.id === 'events') continue; // a stream; covered in events.test.ts
      const res = await s.request(path, { method: route.method, ...(route.body ? { body: '{}' } : {}) });
      expect(res.status, `${route.method} ${route.path}`).not.toBe(405);
      if (res.status === 404) expect(res.body.details.errors[0].path, `${route.method} ${route.path}`).toBe('params.id');
      const documented = spec.paths[openApiPath(route.path)][route.method.toLowerCase()];
      expect(Object.keys(documented.responses), `${route.method} ${route.path}`).toContain(String(res.status));
    }
  });

  it('converts the zod schemas: query parameters, path parameters and request bodies', async () => {
    const spec = (await s.request('/api/batch/openapi.json')).body;
    const history = spec.paths['/api/batch/history'].get;
    const limit = history.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } });
    const status = history.parameters.find((p: { name: string }) => p.name === 'status');
    expect(status.schema.enum).toEqual(['pending', 'running', 'completed', 'failed', 'cancelled']);
    expect(spec.paths['/api/batch/{id}'].get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    const create = spec.paths['/api/batch/create'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['operation']);
    expect(body.properties.options.properties.batchSize).toMatchObject({ type: 'integer', minimum: 1 });
    expect(Object.keys(create.responses).sort()).toEqual(['202', '400', '401', '403', '413', '415', '429', '500']);
    const cleanup = spec.paths['/api/batch/cleanup'].delete.requestBody.content['application/json'].schema;
    expect(cleanup).toMatchObject({ type: 'object', required: ['daysToKeep'], additionalProperties: false });
    for (const route of ROUTES) {
      const op = spec.paths[openApiPath(route.path)][route.method.toLowerCase()];
      expect(op.security, route.id).toEqual(route.access === 'none' ? [] : [{ bearer: [] }]);
    }
  });

  it('documents the cancel semantics, the guards on state-changing routes, and the bounded texts', async () => {
    const spec = (await s.request('/api/batch/openapi.json')).body;
    const cancel = spec.paths['/api/batch/{id}/cancel'].post;
    expect(Object.keys(cancel.responses)).toContain('202');
    expect(cancel.responses['202'].description).toMatch(/cancelRequested/);
    expect(cancel.responses['202'].description).toMatch(/status is unchanged/);
    for (const [path, method] of [
      ['/api/batch/{id}/cancel', 'post'],
      ['/api/batch/events/ticket', 'post'],
      ['/api/batch/create', 'post'],
      ['/api/batch/cleanup', 'delete'],
    ] as const) {
      expect(spec.paths[path][method].responses['415'], `${method} ${path}`).toBeDefined();
      expect(spec.paths[path][method].responses['403'].description, `${method} ${path}`).toMatch(/another origin/);
    }
    expect(spec.info.description).toMatch(/256 characters/);
    expect(JSON.stringify(spec)).not.toMatch(/seed/i);
  });
});
