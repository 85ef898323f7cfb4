/** batchtel's version: the instrumentation scope version, the OpenAPI version, `batchtel --version`. A test keeps it equal to package.json's. */
export const VERSION = '0.1.0';
