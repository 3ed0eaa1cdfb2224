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
  // A fresh Buffer of this size owns its ArrayBuffer (no pool slab): safe to transfer.
  return Piscina.move(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
}
