// Failing callbacks on the per-worker timer wheel: caught, counted, logged through the injected
// onError, and the wheel goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';

test('a throwing callback is counted and logged, and the other timers of its tick still run', () => {
  const clock = new ManualClock(0);
  const logged: Array<[unknown, string]> = [];
  const wheel = new TimerWheel({ clock, onError: (error, name) => void logged.push([error, name]) });
  const ran: string[] = [];
  wheel.schedule('before', 10, () => void ran.push('before'));
  wheel.schedule('bad', 10, () => {
    throw new Error('kaput');
  });
  wheel.schedule('after', 10, () => void ran.push('after'));
  wheel.schedule('later', 20, () => void ran.push('later'));
  clock.advance(30);
  assert.deepEqual(ran, ['before', 'after', 'later']);
  assert.equal(logged.length, 1);
  assert.equal((logged[0]![0] as Error).message, 'kaput');
  assert.equal(logged[0]![1], 'bad');
  const report = wheel.stats().stats;
  const bad = report.timers.bad!.stats;
  assert.equal(bad.runs, 1);
  assert.equal(bad.errors, 1);
  assert.equal(bad.finish, 0);
  assert.equal(bad.last_err_msg, 'kaput');
  assert.equal(bad.last_error?.message, 'kaput');
  assert.equal(typeof bad.last_error?.time, 'number');
  assert.equal(report.sys.errors, 1);
  assert.equal(report.timers.before!.stats.errors, 0);
  assert.equal(report.timers.before!.stats.last_error, undefined);
});

test('non-Error throws are recorded too', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock, onError: () => {} });
  wheel.schedule('s', 1, () => {
    throw 'plain string';
  });
  clock.advance(5);
  assert.equal(wheel.stats().stats.timers.s!.stats.last_err_msg, 'plain string');
});

test('a rejected promise from an async callback counts as an error', async () => {
  const clock = new ManualClock(0);
  const logged: string[] = [];
  const wheel = new TimerWheel({ clock, onError: (_e, name) => void logged.push(name) });
  wheel.schedule('async', 5, async () => {
    await Promise.resolve();
    throw new Error('later');
  });
  clock.advance(5);
  await new Promise((resolve) => setImmediate(resolve));
  const s = wheel.stats().stats.timers.async!.stats;
  assert.equal(s.runs, 1);
  assert.equal(s.errors, 1);
  assert.equal(s.last_err_msg, 'later');
  assert.deepEqual(logged, ['async']);
});

test('an onError that throws does not stop the wheel', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({
    clock,
    onError: () => {
      throw new Error('logger down');
    },
  });
  let ok = 0;
  wheel.schedule('bad', 1, () => {
    throw new Error('x');
  });
  wheel.schedule('good', 1, () => void ok++);
  wheel.schedule('good', 2, () => void ok++);
  clock.advance(5);
  assert.equal(ok, 2);
  assert.equal(wheel.stats().stats.sys.errors, 1);
});

test('without onError, failures go to console.error', (t) => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  const spy = t.mock.method(console, 'error', () => {});
  wheel.schedule('noisy', 1, () => {
    throw new Error('shown');
  });
  clock.advance(1);
  assert.equal(spy.mock.callCount(), 1);
  assert.match(String(spy.mock.calls[0]!.arguments[0]), /noisy/);
});
