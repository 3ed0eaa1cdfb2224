// A worker thread for the cross-thread tests: it runs the real rate-limiting instance (or the raw
// shared counters) against the SharedArrayBuffer it is given, as a Sluice worker would, and reports
// what it counted. Both workers of a test start together on a barrier, to collide as much as possible.
import { parentPort, workerData } from 'node:worker_threads';
import type { Plugin } from '../../../../config/types.ts';
import { SharedCounters } from '../../../../runtime/protocol/counters.ts';
import rateLimiting from '../../../../workers/plugins/rate-limiting/handler.ts';
import type { PluginEnv } from '../../../../workers/plugins/types.ts';
import type { RequestContext } from '../../../../workers/proxy/context.ts';

export interface HammerJob {
  mode: 'plugin' | 'increment' | 'keys' | 'fill-then-limit';
  counters: SharedArrayBuffer;
  barrier: SharedArrayBuffer;
  iterations: number;
  plugin?: Plugin;
  /** fill-then-limit: this thread's share of the distinct keys, and the new key's limit. */
  fill?: { from: number; to: number; limit: number };
}

/** fill-then-limit's answer: new-key requests admitted, and increments that found no slot. */
export interface FillResult {
  admitted: number;
  noSlot: number;
}

/** Just what the rate-limiting plugin reads and writes on a request. */
class FakeContext {
  readonly req = { headers: {}, url: '/' };
  readonly clientIp = '10.0.0.1';
  consumer = null;
  credential = null;
  service = null;
  match = null;
  exited = false;
  status = 0;

  addResponseHeader(): void {}

  exit(status: number): void {
    this.exited = true;
    this.status = status;
  }
}

const job = workerData as HammerJob;
const barrier = new Int32Array(job.barrier);
Atomics.add(barrier, 0, 1);
Atomics.notify(barrier, 0);
while (Atomics.load(barrier, 0) < 2) Atomics.wait(barrier, 0, 1, 50);

let result: number | FillResult = 0;
if (job.mode === 'fill-then-limit') {
  // The `second` table (period 0), one window: every filled key is live while the new key is counted.
  const counters = new SharedCounters(job.counters);
  const token = 2_000_000;
  const { from, to, limit } = job.fill!;
  let noSlot = 0;
  for (let key = from; key < to; key++) if (counters.increment(0, token, Math.imul(key, 0x9e3779b1), key) === -1) noSlot++;
  // Second barrier (word 1): both threads are done filling before either counts the new key.
  Atomics.add(barrier, 1, 1);
  Atomics.notify(barrier, 1);
  while (Atomics.load(barrier, 1) < 2) Atomics.wait(barrier, 1, 1, 50);
  let admitted = 0;
  for (let i = 0; i < job.iterations; i++) {
    // The plugin's rule (handler.ts): count first, refuse and take back once the count before this hit reached the limit.
    const count = counters.increment(0, token, 0x7fff_0001, -7);
    if (count === -1) noSlot++;
    else if (count - 1 >= limit) counters.decrement(counters.lastSlot, token);
    else admitted++;
  }
  result = { admitted, noSlot };
} else if (job.mode === 'plugin') {
  const env = { worker: 0, counters: job.counters, log: console } as unknown as PluginEnv;
  const instance = rateLimiting.create(job.plugin!.config as never, env, job.plugin!);
  for (let i = 0; i < job.iterations; i++) {
    const ctx = new FakeContext();
    instance.access!(ctx as unknown as RequestContext);
    if (!ctx.exited) result++;
  }
} else {
  const counters = new SharedCounters(job.counters);
  const token = 1_000_000;
  for (let i = 0; i < job.iterations; i++) {
    // 'increment': one hot key; 'keys': a new key each time, both workers inserting the same keys.
    if (counters.increment(1, token, job.mode === 'keys' ? i * 7919 : 42, job.mode === 'keys' ? i : 42) !== -1) result++;
  }
}
parentPort!.postMessage(result);
