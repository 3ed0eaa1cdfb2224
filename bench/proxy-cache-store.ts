// Runs on the bench orchestrator (its own process). Where proxy-cache entries should live: in each
// worker's own store (workers/plugins/proxy-cache/store.ts), or in one store every worker asks over
// a MessagePort (a cache thread). Measures, in this process, the cost of one hit both ways for
// answers of several sizes: a Map lookup on this thread vs a round trip to a thread holding the
// same store, the body coming back by structured clone (a Buffer in a store cannot be transferred
// without losing it). A SharedArrayBuffer store would avoid the copy but needs its own allocator
// and locking for variable-size bodies; the thread round trip is its lower bound for the wake-up.
import { once } from 'node:events';
import { cpus } from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import { AnswerStore, type CachedAnswer } from '../workers/plugins/proxy-cache/store.ts';
import { TimerWheel } from '../workers/timers/wheel.ts';
import { describeBackground } from './harness/report/machine.ts';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const LOOKUPS = 2000;

out('# proxy-cache: a per-worker store vs a cache thread');
out(`command: node bench/proxy-cache-store.ts`);
out(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
out(await describeBackground());

const threadSource = `
const { parentPort } = require('node:worker_threads');
const entries = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'set') { entries.set(m.key, m.answer); m.port.postMessage(true); return; }
  m.port.postMessage(entries.get(m.key) ?? null);
});`;
const thread = new Worker(threadSource, { eval: true });
const wheel = new TimerWheel();
const store = new AnswerStore(wheel, 256 * 1024 * 1024);

out('\n| answer body | per-worker store: µs per hit | cache thread: µs per hit | ratio |');
out('|---|---|---|---|');
for (const size of [1024, 16 * 1024, 256 * 1024]) {
  const answer: CachedAnswer = { status: 200, headers: ['content-type', 'application/json', 'etag', '"abc"'], body: Buffer.alloc(size, 0x61), timestamp: 0, ttl: 300 };
  store.set(`k${size}`, answer, 300);
  const { port1, port2 } = new MessageChannel();
  thread.postMessage({ op: 'set', key: `k${size}`, answer, port: port2 }, [port2]);
  await once(port1, 'message');
  port1.close();
  let t = performance.now();
  let bytes = 0;
  for (let i = 0; i < LOOKUPS; i++) bytes += store.get(`k${size}`)!.body.length;
  const local = ((performance.now() - t) * 1000) / LOOKUPS;
  const channel = new MessageChannel();
  thread.postMessage({ op: 'port', key: '', port: channel.port2 }, [channel.port2]);
  await once(channel.port1, 'message');
  t = performance.now();
  for (let i = 0; i < LOOKUPS; i++) {
    const c = new MessageChannel();
    thread.postMessage({ op: 'get', key: `k${size}`, port: c.port2 }, [c.port2]);
    const [got] = (await once(c.port1, 'message')) as [{ body: Uint8Array } | null];
    bytes += got?.body.length ?? 0;
    c.port1.close();
  }
  const remote = ((performance.now() - t) * 1000) / LOOKUPS;
  channel.port1.close();
  out(`| ${size / 1024} KiB | ${local.toFixed(2)} | ${remote.toFixed(1)} | ${(remote / local).toFixed(0)}× |`);
  if (bytes === 0) out('(no bytes read)');
}
store.clear();
wheel.close();
await thread.terminate();
out('\nHit ratio for a key asked R times per TTL on W workers: shared (R-1)/R, per worker (R-W)/R (each worker misses once).');
