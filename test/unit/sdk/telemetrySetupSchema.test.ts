import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/sdk/parseOptions.js';
import { telemetrySetupSchema } from '../../../src/sdk/telemetrySetup.js';

const parse = (input: object) => () => parseOptions(telemetrySetupSchema, input, 'startTelemetry options');

describe('startTelemetry options', () => {
  it('an endpoint must be an http:// or https:// URL (collector:4318 parses as a URL with the scheme collector:)', () => {
    expect(parse({ endpoint: 'collector:4318' })).toThrow(/endpoint/);
    expect(parse({ endpoint: 'ftp://collector:4318' })).toThrow(/endpoint/);
    expect(parse({ endpoint: 'https://collector:4318' })).not.toThrow();
  });

  it('headers must be sendable: a valid name, no control characters in the value', () => {
    expect(parse({ headers: { 'bad header': 'x' } })).toThrow(/headers/);
    expect(parse({ headers: { 'x-ok': 'a\r\nb' } })).toThrow(/headers/);
    expect(parse({ headers: { 'x-ok': 'Bearer abc' } })).not.toThrow();
  });
});
