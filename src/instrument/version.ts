// VERSION lives in src/version.ts; src/instrument/RunTelemetry.ts and src/sdk/startTelemetry.ts still import it from here.
export { VERSION } from '../version.js';
