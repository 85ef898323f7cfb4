import { describe, expect, it } from 'vitest';
import { trackBatch } from '../../../src/api/trackBatch.js';
import { ManualClock } from '../../../src/core/clock.js';
import { heldRuns, RunRegistry, type RegistryEvent } from '../../../src/core/RunRegistry.js';
import type { RunView } from '../../../src/core/RunView.js';

describe('RunRegistry: what callers read is a RunView', () => {
  it('get, list and active show a run by name, status and counts; cancel asks it to stop', () => {
    const registry = new RunRegistry();
    const batch = trackBatch({
      name: 'Import users',
      operation: 'import_users',
      category: 'sync',
      total: 10,
      registry,
      clock: new ManualClock(0),
      display: 'none',
    });
    batch.start().add(3);
    batch.add(1, 'failure');
    const view = registry.get(batch.id)!;
    expect({ name: view.name, operation: view.operation, category: view.category, status: view.status, total: view.total }).toEqual({
      name: 'Import users',
      operation: 'import_users',
      category: 'sync',
      status: 'running',
      total: 10,
    });
    expect([view.completed, view.succeeded, view.failed, view.skipped, view.progress()]).toEqual([4, 3, 1, 0, 0.4]);
    expect(registry.list()).toEqual([view]);
    expect(registry.active()).toEqual([view]);
    view.cancel('enough');
    expect(batch.signal.aborted).toBe(true);
    batch.finish();
    expect(view.isFinished).toBe(true);
    expect(view.status).toBe('cancelled');
    expect(registry.active()).toEqual([]);
  });

  it("subscribers hear the run's view; batchtel's own layers reach the same run through heldRuns", () => {
    const registry = new RunRegistry();
    const events: RegistryEvent['type'][] = [];
    registry.subscribe((event) => events.push(event.type));
    const batch = trackBatch({ name: 'Export', registry, clock: new ManualClock(0), display: 'none' }).start();
    expect(heldRuns(registry).get(batch.id)).toBe(registry.get(batch.id));
    batch.finish();
    expect(events).toEqual(['created', 'finished']);
  });

  it('add() ignores what is not a batchtel run', () => {
    const registry = new RunRegistry();
    const lookalike: RunView = {
      id: 'fake',
      name: 'fake',
      operation: 'fake',
      category: undefined,
      status: 'running',
      isFinished: false,
      total: undefined,
      completed: 0,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      progress: () => undefined,
      cancel: () => undefined,
    };
    registry.add(lookalike);
    expect(registry.list()).toEqual([]);
  });
});
