// Entry of a worker thread. Loading the data plane's modules is most of a worker's start-up time,
// so it happens before the worker has a slot: the primary keeps one loaded spare and hands it the
// slot of a worker that died, which puts the slot back in service in milliseconds, not a second.
import { parentPort, workerData } from 'node:worker_threads';
import type { ToWorker, WorkerBoot } from '../runtime/protocol/messages.ts';
import { runWorker } from './worker.ts';

const port = parentPort!;
port.once('message', (message: ToWorker) => {
  if (message.type !== 'assign') throw new Error(`worker expected an assignment first, got ${message.type}`);
  runWorker(port, workerData as WorkerBoot, { index: message.index, generation: message.generation });
});
port.postMessage({ type: 'loaded' });
