// Where SO_REUSEPORT is missing Sluice starts one worker and says so (runtime/reuse-port.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reusePortSupported, workerPlan } from '../../runtime/reuse-port.ts';

test('the probe finds SO_REUSEPORT on Linux', { skip: process.platform !== 'linux' ? 'not Linux' : false }, async () => {
  assert.equal(await reusePortSupported('127.0.0.1'), true);
});

test('without SO_REUSEPORT: one worker and one line saying why; with it: the workers asked for', () => {
  assert.deepEqual(workerPlan(4, true), { workers: 4, note: null });
  const plan = workerPlan(4, false);
  assert.equal(plan.workers, 1);
  assert.match(plan.note!, /SO_REUSEPORT is not available on \w+: one worker serves the proxy port \(not 4\)/);
  assert.equal(plan.note!.includes('\n'), false);
  assert.equal(workerPlan(1, false).workers, 1);
});
