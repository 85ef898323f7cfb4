import { describe, expect, it } from 'vitest';
import { createBatchProgress } from '../../../src/api/createBatchProgress.js';
import { trackBatch } from '../../../src/api/trackBatch.js';
import { createEvents } from '../../../src/events/createEvents.js';
import { createBatchHandler } from '../../../src/server/createBatchHandler.js';

/** Every construction error names the field, what was expected, what came, and where a known option belongs. */
describe('option errors say what to do', () => {
  it('says what was received, including undefined', () => {
    expect(() => createBatchProgress({ name: undefined } as never)).toThrow('`name`: expected a non-empty string, got undefined');
    expect(() => createBatchProgress({ name: 'x', barLength: '20' } as never)).toThrow('`barLength`: expected an integer from 5 to 200, got "20" (string)');
    expect(() => createBatchProgress({ name: 'x', display: 'fancy' } as never)).toThrow(
      '`display`: expected one of "auto", "tty", "plain", "none", got "fancy" (string)',
    );
    expect(() => createBatchProgress('jobs' as never)).toThrow('`(options)`: expected an object, got "jobs" (string)');
  });

  it('points a known option given in the wrong place to where it belongs', () => {
    expect(() => trackBatch({ name: 'x', batchSize: 50 } as never)).toThrow(/unknown option `batchSize` here: it belongs in the process\(\) options/);
    expect(() => createBatchProgress({ name: 'x', maxChunksPerTrace: 5 } as never)).toThrow(
      'unknown option `maxChunksPerTrace` here: it belongs in `telemetry` in the batch options',
    );
    expect(() => createBatchProgress({ name: 'x', telemetry: { stalled: { afterMs: 5000 } } } as never)).toThrow(
      'unknown option `telemetry.stalled` here: it belongs in `alerts` in the batch options',
    );
    expect(() => createEvents({ itemSpanRatio: 0.1 } as never)).toThrow('it belongs in `telemetry` in the batch options');
  });

  it('suggests the option a misspelt one was meant to be, else lists the known ones', async () => {
    await expect(trackBatch({ name: 'x', display: 'none' }).process([1], async () => {}, { concurency: 2 } as never)).rejects.toThrow(
      'unknown option `concurency`: did you mean `concurrency`?',
    );
    expect(() => createBatchProgress({ name: 'x', alerts: { zzz: 1 } } as never)).toThrow(
      /unknown option `alerts.zzz` \(`alerts` takes enabled, minEpisodeMs, rateLimit/,
    );
  });

  it('an unset server token says it got undefined, and a short one says its length, not its text', () => {
    expect(() => createBatchHandler({ auth: { token: undefined } } as never)).toThrow(
      /`auth.token` must be a string of at least 16 characters, received undefined/,
    );
    let message = '';
    try {
      createBatchHandler({ auth: { token: 'hunter2' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('received a string of 7');
    expect(message).not.toContain('hunter2');
  });
});
