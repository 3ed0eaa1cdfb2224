// Runs on the test thread and on worker threads it starts: a thread's own nice value
// (workers/transform/thread-priority.ts), read back from /proc as the kernel holds it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { threadId } from '../../../workers/transform/thread-priority.ts';

const linux = process.platform === 'linux';

/** Field 19 of /proc/self/task/<tid>/stat. */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test('niceThisThread lowers the calling thread only, not its process', { skip: !linux && 'thread priorities are per thread on Linux only' }, async () => {
  const mine = threadId();
  assert.ok(mine !== null);
  const before = niceOf(mine);
  const target = Math.min(19, before + 5);
  const module = new URL('../../../workers/transform/thread-priority.ts', import.meta.url).href;
  const worker = new Worker(`import(${JSON.stringify(module)}).then((m) => require('node:worker_threads').parentPort.postMessage({ tid: m.niceThisThread(${target}), self: m.threadId() }))`, { eval: true });
  const [reply] = (await once(worker, 'message')) as [{ tid: number | null; self: number | null }];
  try {
    assert.ok(reply.tid !== null && reply.tid === reply.self, 'applied to the worker thread itself');
    assert.notEqual(reply.tid, mine);
    assert.equal(niceOf(reply.tid), target, "the worker thread's nice value");
    assert.equal(niceOf(mine), before, "the test thread's is unchanged");
  } finally {
    await worker.terminate();
  }
});
