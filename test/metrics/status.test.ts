// The readiness rule of /status/ready (runtime/metrics/status.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readiness } from '../../runtime/metrics/status.ts';
import type { Supervisor, WorkerSlot } from '../../runtime/supervisor.ts';

function supervisorWith(slots: Array<{ running: boolean; ready: boolean; applied: number }>, published: number, draining = false): Supervisor {
  return {
    draining,
    slots: slots.map((s, index) => ({ index, worker: s.running ? {} : null, ready: s.ready }) as unknown as WorkerSlot),
    versions: { published, applied: (i: number) => slots[i]!.applied },
  } as unknown as Supervisor;
}

test('ready only when every worker runs, listens and has applied the published version', () => {
  assert.equal(readiness(supervisorWith([{ running: true, ready: true, applied: 3 }, { running: true, ready: true, applied: 3 }], 3)).ready, true);
  assert.equal(readiness(supervisorWith([{ running: true, ready: true, applied: 3 }, { running: true, ready: true, applied: 2 }], 3)).ready, false);
  assert.equal(readiness(supervisorWith([{ running: true, ready: true, applied: 3 }, { running: false, ready: false, applied: 0 }], 3)).ready, false);
  assert.equal(readiness(supervisorWith([{ running: true, ready: false, applied: 3 }], 3)).ready, false);
});

test('a draining node is not ready, however its workers stand', () => {
  const state = readiness(supervisorWith([{ running: true, ready: true, applied: 3 }], 3, true));
  assert.equal(state.ready, false);
  assert.equal(state.message, 'draining');
});
