// Runs on a JSON pool thread (json-pool.ts): one large JSON body edit, off the worker's event loop.
// The body arrives transferred (not copied) and the result goes back the same way.
import { Piscina } from 'piscina';
import { editJson, type JsonEdits } from './json-body.ts';

export interface JsonTask {
  body: Uint8Array;
  edits: JsonEdits;
}

/** The edited body, or null when the body is to be sent as it was. */
export default function editJsonTask(task: JsonTask): unknown {
  const out = editJson(task.body, task.edits);
  if (out === null) return null;
  // Copied into an ArrayBuffer of its own to transfer: the Buffer may sit in Node's pool slab or
  // be backed by memory that cannot be detached (a mid-size Buffer.from(string) is), and a copy
  // here costs the pool thread, not the worker.
  const own = new Uint8Array(out.length);
  own.set(out);
  return Piscina.move(own);
}
