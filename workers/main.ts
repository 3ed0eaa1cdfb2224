// Entry of a worker thread. Loading the data plane's modules is most of a worker's start-up time,
// so it happens before the worker has a slot: the primary keeps one loaded spare and hands it the
// slot of a worker that died, which puts the slot back in service in milliseconds, not a second.
// The primary sends nothing but `assign` before this thread said `loaded`, and the config snapshot
// right after `assign`; anything else arriving first is a protocol bug, logged and dropped.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../runtime/protocol/log.ts';
import type { ToWorker, WorkerBoot } from '../runtime/protocol/messages.ts';
import { readTestHooks } from './test-hooks.ts';
import { GatewayWorker } from './worker.ts';

const port = parentPort!;
const hooks = readTestHooks(process.env);
const onFirst = (message: ToWorker): void => {
  if (message.type !== 'assign') {
    createLogger().error({ type: message.type }, 'worker got a message before its assignment; dropped');
    return;
  }
  port.off('message', onFirst);
  new GatewayWorker(port, workerData as WorkerBoot, { index: message.index, generation: message.generation }, { failVersion: hooks.failVersion }).start();
};
port.on('message', onFirst);
if (hooks.loadDelayMs > 0) setTimeout(() => port.postMessage({ type: 'loaded' }), hooks.loadDelayMs);
else port.postMessage({ type: 'loaded' });
