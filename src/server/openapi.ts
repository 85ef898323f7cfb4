import { z } from 'zod';
import { ROUTES, type Route } from './routes.js';

type Json = Record<string, unknown>;

const errorSchema: Json = {
  type: 'object',
  required: ['success', 'error', 'details'],
  properties: {
    success: { const: false },
    error: { type: 'string' },
    details: {
      type: 'object',
      properties: {
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'message', 'code'],
            properties: {
              path: { type: 'string', description: 'The field, e.g. body.options.chunkSize' },
              message: { type: 'string', description: 'What was wrong: what was expected and what was received; for a misplaced field, where it belongs' },
              code: { type: 'string' },
              expected: { type: 'string' },
              received: { type: 'string', description: 'The value received, as JSON, shortened' },
            },
          },
        },
      },
    },
  },
};

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete json['$schema'];
  return json;
};

/** `/api/batch/:id` → `/api/batch/{id}` */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(route: Route): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = toSchema(schema, 'input');
    const properties = (json['properties'] ?? {}) as Record<string, Json>;
    const required = new Set((json['required'] ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...rest } = property;
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) });
    }
  }
  return out;
}

function operation(route: Route): Json {
  const errors: Record<string, Json> = {};
  const errorResponse = (description: string): Json => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  if (route.params || route.query || route.body) errors['400'] = errorResponse('Invalid request (field paths in details.errors)');
  const changes = route.method !== 'GET';
  if (route.access !== 'none') errors['401'] = errorResponse('Missing or invalid bearer token');
  errors['403'] = errorResponse(
    [
      ...(route.access !== 'none' ? ['the token lacks the right (read-only token on a write route)', 'a non-loopback client with auth disabled'] : []),
      'a Host that is not a loopback name or one of allowedHosts (checked with auth disabled, or when allowedHosts is set)',
      ...(changes ? ['a request from another origin (Sec-Fetch-Site other than same-origin, or an Origin that is not this host)'] : []),
    ].join('; or '),
  );
  if (route.params) errors['404'] = errorResponse('No such run');
  if (route.body) errors['413'] = errorResponse('Body too large');
  if (changes) errors['415'] = errorResponse('Not sent as application/json: every request that changes state must be, with or without a body');
  errors['500'] = errorResponse("Internal error: the body carries only an id, the error is in the server's diagnostic log under it");
  if (route.id === 'create') errors['429'] = errorResponse('Rate limit on create; see Retry-After');
  if (route.id === 'cancel') errors['409'] = errorResponse('The run has already finished');
  const success: Json = {
    description: route.summary,
    content: { [route.produces]: { schema: route.produces === 'application/json' ? { type: 'object' } : { type: 'string' } } },
  };
  return {
    operationId: route.id,
    summary: route.summary,
    ...(route.access !== 'none' ? { security: [{ bearer: [] }] } : { security: [] }),
    parameters: parameters(route),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } } }
      : changes
        ? {
            requestBody: {
              required: false,
              description: 'Not read; send `{}` (or nothing) as application/json',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          }
        : {}),
    responses: { [String(route.status)]: success, ...errors },
  };
}

/** The OpenAPI 3.1 description, generated from the router table and its zod schemas. */
export function buildOpenApi(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    const path = openApiPath(route.path);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'batchtel control API',
      version,
      description:
        'See, start and cancel the batch runs of this process. Texts are bounded: run names are cut to 256 characters, operations and categories to 128, error types to 128 (the 50 most frequent per run), and any text in an error response to 300, each marked with a trailing …',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: errorSchema },
    },
  };
}
