// The worker's JSON pool (worker thread): large JSON body edits (request-transformer,
// response-transformer) run on one piscina thread this worker owns, so the scan and splice of a
// 5 MB body (json-body.ts) does not stall the small requests the worker is serving meanwhile.
//
// Why the worker owns it rather than sending the body to the primary's pool (runtime/pool.ts): the
// primary's pool is one thread kept for config preparation, which must not queue behind bodies or
// hold them up; and a body sent through the primary would cross two MessagePorts instead of one and
// wait on the primary's event loop (Admin API, metrics merges) on the way. A worker-owned thread is
// one hop with the buffer transferred, not copied (bench/json-offload.ts measures the round trip:
// bench/RESULTS.transform.md). The thread is started on the first large body and retired after a
// minute without one, so a worker that never sees large JSON bodies holds no extra thread.
import { Piscina } from 'piscina';
import { editJson, type JsonEdits } from './json-body.ts';
import type { JsonTask } from './json-task.ts';

/**
 * Bodies from this size up are edited on the pool thread. Below it the edit costs less than the
 * round trip (~0.1-0.3 ms: post, wake, post back) and runs inline. Set when edits were JSON.parse
 * and JSON.stringify, about 1 ms per 100 KiB on the benchmark box; the scan and splice that
 * replaced them cost about 0.4-0.7 ms per 100 KiB there (bench/RESULTS.transform.md), so the
 * threshold still sits near where the edit outgrows the round trip.
 */
export const OFFLOAD_BYTES = 128 * 1024;

/**
 * The threshold in force: OFFLOAD_BYTES, or `SLUICE_JSON_OFFLOAD_BYTES` (a byte count, or `off` to
 * edit every body inline on the worker — what bench/transform-offload.ts compares the pool with).
 * A value that is neither is refused when the worker loads, rather than silently ignored.
 */
export function offloadThreshold(value: string | undefined): number {
  if (value === undefined || value === '') return OFFLOAD_BYTES;
  if (value === 'off') return Infinity;
  if (/^\d+$/.test(value)) return Number(value);
  throw new TypeError(`SLUICE_JSON_OFFLOAD_BYTES must be a byte count or "off", not "${value}"`);
}

const threshold = offloadThreshold(process.env['SLUICE_JSON_OFFLOAD_BYTES']);

const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

let pool: Piscina | null = null;
/** Edits handed to the pool thread and not yet answered. */
let inFlight = 0;

function jsonPool(): Piscina {
  return (pool ??= new Piscina({
    filename: new URL(`./json-task${EXTENSION}`, import.meta.url).href,
    minThreads: 0,
    // One thread: several would only compete with the proxy workers for the same cores.
    maxThreads: 1,
    idleTimeout: 60_000,
    // Bounded: past this many waiting edits, the next is done inline rather than queued without end.
    maxQueue: 64,
  }));
}

/**
 * Edits `body` inline when it is small (null: send it as it is), on the pool thread when it is
 * large (the promise resolves with the body to send: edited, or the same bytes back). With `give`,
 * the caller hands a large body over: its memory is transferred to the pool thread as it is (no
 * copy on the worker, whose loop would stall for it) and `body` is left empty. Only for a body
 * nothing else holds (one this request read itself), never a cached or shared one.
 */
export function editJsonBody(body: Buffer, edits: JsonEdits, give = false): Buffer | null | Promise<Buffer | null> {
  if (body.length < threshold) return editJson(body, edits);
  const p = jsonPool();
  if (p.queueSize >= 64) return editJson(body, edits);
  const task: JsonTask = { body: give && ownsWholeBuffer(body) ? body : copyOf(body), edits };
  inFlight++;
  return (p.run(task, { transferList: [task.body.buffer as ArrayBuffer] }) as Promise<Uint8Array>).then(
    (out) => {
      inFlight--;
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    (error: unknown) => {
      inFlight--;
      throw error;
    },
  );
}

/** The body is the whole of a plain ArrayBuffer (not a slice of Node's pool slab): it can be transferred as it is. */
function ownsWholeBuffer(body: Buffer): boolean {
  return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
}

/** A copy in an ArrayBuffer of its own, to transfer: the body may share a slab with others. */
function copyOf(body: Buffer): Uint8Array {
  const own = new Uint8Array(body.length);
  own.set(body);
  return own;
}

/** Edits run on the pool thread so far, and waiting on it now (tests check large bodies went there). */
export function jsonPoolStats(): { completed: number; threads: number; inFlight: number } {
  return pool === null ? { completed: 0, threads: 0, inFlight } : { completed: pool.completed, threads: pool.threads.length, inFlight };
}

/** Stops the pool thread (worker shutdown, tests). */
export async function closeJsonPool(): Promise<void> {
  const p = pool;
  pool = null;
  if (p !== null) await p.destroy();
}
