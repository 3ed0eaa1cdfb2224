// Runs on a JSON pool thread (json-pool.ts): one large JSON body edit, off the worker's event loop.
// The body arrives transferred (not copied) and goes back the same way: the edited body, or the
// body it was given when there is nothing to change (the worker gave its copy away).
import { Piscina } from 'piscina';
import { editJson, type JsonEdits } from './json-body.ts';
import { lowerThreadPriority } from '../../runtime/protocol/thread-priority.ts';

export interface JsonTask {
  body: Uint8Array;
  edits: JsonEdits;
}

/**
 * How many nice levels the pool thread runs below the worker that owns it (Linux, per thread; the
 * most there is, capped at 19). At 19 below a nice-0 worker its scheduling weight is 15 against
 * the worker's 1024: on a core both want, the worker's event loop runs first and the edit takes
 * what is left, so a 5 MB edit delays other large edits rather than the small requests
 * (bench/transform-offload.ts). It is never starved outright, and on an idle core it runs at full speed.
 */
export const POOL_NICE_STEP = 19;

// Once per pool thread, as piscina loads this module on it (not when a test imports it).
if (Piscina.isWorkerThread) lowerThreadPriority(POOL_NICE_STEP);

/** The edited body, or the body as it came when it is to be sent as it was. */
export default function editJsonTask(task: JsonTask): unknown {
  const out = editJson(task.body, task.edits);
  if (out === null) return Piscina.move(task.body);
  // Copied into an ArrayBuffer of its own to transfer: the Buffer may sit in Node's pool slab or
  // be backed by memory that cannot be detached (a mid-size Buffer.from(string) is), and a copy
  // here costs the pool thread, not the worker.
  const own = new Uint8Array(out.length);
  own.set(out);
  return Piscina.move(own);
}
