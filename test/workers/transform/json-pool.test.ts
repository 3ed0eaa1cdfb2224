// Runs on the test thread (and the JSON pool thread it starts): the worker's JSON pool
// (workers/transform/json-pool.ts): the threshold setting, the pool thread's priority, and bodies
// handed over to it rather than copied.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import type { JsonEdits } from '../../../workers/transform/json-body.ts';
import { closeJsonPool, editJsonBody, jsonPoolStats, OFFLOAD_BYTES, offloadThreshold } from '../../../workers/transform/json-pool.ts';
import { POOL_NICE_STEP } from '../../../workers/transform/json-task.ts';

after(() => closeJsonPool());

const edits: JsonEdits = { mode: 'request', remove: ['secret'], rename: [['old', 'new']], replace: [], add: [['added', 'yes']], append: [] };
const large = (doc: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ ...doc, filler: 'y'.repeat(OFFLOAD_BYTES) }));

/** tid → nice value of every thread of this process (Linux). */
function niceByThread(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

test('SLUICE_JSON_OFFLOAD_BYTES: unset is the default, a byte count sets it, "off" edits everything inline', () => {
  assert.equal(offloadThreshold(undefined), OFFLOAD_BYTES);
  assert.equal(offloadThreshold(''), OFFLOAD_BYTES);
  assert.equal(offloadThreshold('1048576'), 1_048_576);
  assert.equal(offloadThreshold('0'), 0);
  assert.equal(offloadThreshold('off'), Infinity);
});

test('SLUICE_JSON_OFFLOAD_BYTES: anything else is refused, naming the variable', () => {
  for (const bad of ['-1', '1.5', '128k', 'on', ' 10']) assert.throws(() => offloadThreshold(bad), /SLUICE_JSON_OFFLOAD_BYTES must be a byte count or "off", not/);
});

test('the pool thread runs POOL_NICE_STEP nice levels below the thread that uses it', { skip: process.platform !== 'linux' && 'thread priorities are per thread on Linux only' }, async () => {
  const before = niceByThread();
  const mine = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]);
  const expected = Math.min(19, before.get(mine)! + POOL_NICE_STEP);
  assert.ok(expected > before.get(mine)!, 'the test runs below nice 19, so a lower priority is visible');
  const out = await editJsonBody(large({ secret: 1, old: 2 }), edits);
  assert.ok(out !== null);
  const born = [...niceByThread()].filter(([tid]) => !before.has(tid));
  assert.ok(born.length > 0, 'the first large edit started the pool thread');
  assert.ok(born.some(([, nice]) => nice === expected), `a new thread at nice ${expected}: ${JSON.stringify(born)}`);
  assert.equal(niceByThread().get(mine), before.get(mine), "this thread's priority is unchanged");
});

test('a large body given to the pool is moved, not copied, and comes back edited', async () => {
  const given = Buffer.alloc(large({ secret: 1, old: 2 }).length);
  large({ secret: 1, old: 2 }).copy(given);
  const done = jsonPoolStats().completed;
  const out = await editJsonBody(given, edits, true);
  assert.equal(given.length, 0, 'its memory went to the pool thread');
  assert.equal(jsonPoolStats().completed, done + 1);
  const doc = JSON.parse(out!.toString()) as Record<string, unknown>;
  assert.deepEqual({ ...doc, filler: undefined }, { new: 2, added: 'yes', filler: undefined });
  assert.equal((doc['filler'] as string).length, OFFLOAD_BYTES);
});

test('a given body with nothing to change comes back whole; a kept one is left as it was', async () => {
  const text = JSON.stringify(['not', 'an', 'object', 'y'.repeat(OFFLOAD_BYTES)]);
  const given = Buffer.alloc(Buffer.byteLength(text));
  given.write(text);
  const out = await editJsonBody(given, edits, true);
  assert.equal(given.length, 0);
  assert.equal(out!.toString(), text, 'the same bytes back');
  const kept = Buffer.from(text);
  const again = await editJsonBody(kept, edits);
  assert.equal(kept.toString(), text, 'not given: untouched');
  assert.equal(again!.toString(), text);
});

test('a body that shares its memory (a slice of a larger buffer) is copied even when given', async () => {
  const doc = large({ secret: 1 });
  const slab = Buffer.alloc(doc.length + 10);
  doc.copy(slab, 5);
  const slice = slab.subarray(5, 5 + doc.length);
  const out = await editJsonBody(slice, edits, true);
  assert.equal(slice.length, doc.length, 'the slab is intact');
  assert.equal(JSON.parse(out!.toString()).added, 'yes');
});

test('an edit the pool thread cannot finish rejects (the plugin answers 500) and the pool starts again', async () => {
  const pending = editJsonBody(large({ secret: 1, list: Array.from({ length: 200_000 }, (_, i) => i) }), edits);
  assert.ok(pending instanceof Promise);
  assert.equal(jsonPoolStats().inFlight, 1);
  const rejected = assert.rejects(pending, /Terminating worker thread/);
  await closeJsonPool();
  await rejected;
  assert.equal(jsonPoolStats().inFlight, 0);
  const out = await editJsonBody(large({ old: 1 }), edits);
  assert.equal(JSON.parse(out!.toString()).new, 1);
});
