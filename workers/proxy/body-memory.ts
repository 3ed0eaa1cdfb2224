// Returning a large body's memory the moment the worker is done with it (worker thread): a request
// body's socket reads once copied or written upstream, a body read whole once its request is over,
// an upstream response's reads once written to the client.
//
// Why: V8 counts every ArrayBuffer byte allocated since its last full collection against the old
// generation's room, and a worker that relays large bodies allocates almost nothing else: its young
// generation never fills, so nothing frees the socket reads' buffers but a full collection. A worker
// proxying 5 MB bodies ran one mark-compact per one to two bodies (each ~5-10 ms of its loop, with
// nothing on its heap to free) — the stalls small requests beside them saw
// (bench/RESULTS.transform.md). Detaching a buffer (`ArrayBuffer.prototype.transfer(0)`) frees its
// memory at once and V8 takes it off that count, so those collections do not happen.
//
// Only memory nothing else can still see may go: a view that covers its whole ArrayBuffer (a socket
// read that held nothing but body bytes: no head, no pipelined request after it), never a
// SharedArrayBuffer, and only once every write of it has finished (libuv writes from the memory
// itself). Small buffers are not worth it: young ones die in the next scavenge anyway.

/** Below this a buffer is left to the GC: a socket read's ArrayBuffer is at most 64 KiB. */
const MIN_RELEASED_BYTES = 16 * 1024;

/**
 * Frees `bytes`' memory now if it is the whole of a plain ArrayBuffer (every view of it reads
 * empty afterwards). The caller owns it: no one else may read it again.
 */
export function releaseBytes(bytes: Uint8Array): void {
  if (!releasable(bytes)) return;
  try {
    // ES2024's transfer (Node 20+); the project's lib is ES2023.
    (bytes.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
  } catch {
    // Memory V8 will not detach (a Buffer made from a mid-size string is one): the GC frees it.
  }
}

function releasable(bytes: Uint8Array): boolean {
  const buffer = bytes.buffer;
  return bytes.byteLength >= MIN_RELEASED_BYTES && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer;
}

/** A write callback that frees `bytes` once the socket is done with them, or undefined when they are not worth it. */
export function releaseAfterWrite(bytes: Uint8Array): (() => void) | undefined {
  return releasable(bytes) ? () => releaseBytes(bytes) : undefined;
}
