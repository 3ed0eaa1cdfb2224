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
  mode: 'plugin' | 'increment' | 'keys';
  counters: SharedArrayBuffer;
  barrier: SharedArrayBuffer;
  iterations: number;
  plugin?: Plugin;
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

let result = 0;
if (job.mode === 'plugin') {
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
