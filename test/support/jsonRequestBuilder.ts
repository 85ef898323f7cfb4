import { DeferredRequestBuilder } from '../../src/sdk/delivery/DeferredRequestBuilder.js';

/** A request builder for processor tests: records are numbers, a request is their JSON array, each record `sizeOf` bytes (one by default). */
export const jsonRequestBuilder = (sizeOf: (n: number) => number = () => 1) =>
  new DeferredRequestBuilder<number>((items) => Buffer.from(JSON.stringify(items)), sizeOf);
