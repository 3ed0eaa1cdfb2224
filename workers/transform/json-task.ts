// Runs on a JSON pool thread (json-pool.ts): one large JSON body edit, off the worker's event loop.
// The body arrives transferred (not copied) and goes back the same way: the edited body, or the
// body it was given when there is nothing to change (the worker gave its copy away).
import { Piscina } from 'piscina';
import { editJson, type JsonEdits } from './json-body.ts';
import { releaseBytes } from '../proxy/body-memory.ts';
import { BACKGROUND_NICE_STEP, lowerThreadPriority } from '../../runtime/protocol/thread-priority.ts';

export interface JsonTask {
  body: Uint8Array;
  edits: JsonEdits;
}

/**
 * How many nice levels the pool thread runs below the worker that owns it (Linux, per thread): the
 * step every background thread takes (the config thread's too). On a core both want, the worker's
 * event loop gets about three times the pool thread's share; the edit is not starved, and on an
 * idle core it runs at full speed. 19 levels below was measured as well (bench/RESULTS.transform.md):
 * the small requests' p99 did not move beyond the box's noise, and large edits ran 3x slower.
 */
export const POOL_NICE_STEP = BACKGROUND_NICE_STEP;

// Once per pool thread, as piscina loads this module on it (not when a test imports it).
if (Piscina.isWorkerThread) lowerThreadPriority(POOL_NICE_STEP);

/** The edited body, or the body as it came when it is to be sent as it was. */
export default function editJsonTask(task: JsonTask): unknown {
  const out = editJson(task.body, task.edits);
  if (out === null) return Piscina.move(task.body);
  // The body the worker gave is done with: freed now rather than at this thread's next full GC
  // (it was allocated by the worker, whose memory figures count it until then).
  releaseBytes(task.body);
  // editJson writes into an unpooled buffer of its own: its memory is transferred as it is. The
  // copy is only a guard, should that ever change (a Buffer in Node's pool slab must not be moved).
  if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength && out.buffer instanceof ArrayBuffer) return Piscina.move(new Uint8Array(out.buffer));
  const own = new Uint8Array(out.length);
  own.set(out);
  return Piscina.move(own);
}
