// Its declarations use Node types (process.env, node:http): TypeScript users load them with the entry.
/// <reference types="node" preserve="true" />
/**
 * batchtel/server: the control API and the live board over the
 * in-process run registry. A plain Node `http` handler, so it mounts in
 * express, fastify or hono, or runs stand-alone with `startServer`.
 */
export { createBatchHandler } from './createBatchHandler.js';
export type { BatchHandler, BatchHandlerOptions, LiveEventsState } from './BatchHandlerOptions.js';
export { startServer, type RunningServer, type StartServerOptions } from './startServer.js';
export { defineOperation, type Operation, type OperationContext, type CreateOptions } from './defineOperation.js';
export type { Access, AuthOptions } from './auth.js';
export type { EventHubOptions, LiveEventType } from './EventHub.js';
export { LIVE_EVENT_TYPES } from './EventHub.js';
export type { BatchView, CardView, EtaView } from './views.js';
export type { ErrorBody, ErrorDetail } from './HttpError.js';
export { buildOpenApi } from './openapi.js';
export { ROUTES, type Route, type RouteId } from './routes.js';
