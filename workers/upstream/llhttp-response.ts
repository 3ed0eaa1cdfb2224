// The upstream connector's response parser (worker thread): llhttp in RESPONSE mode, the same
// WebAssembly build the proxy listener parses requests with (workers/http1/llhttp.ts), in its own
// instance: an instance routes its callbacks to the parser being executed through one module
// variable, and with two instances a response parsed while a request parser is inside a callback
// (or the other way round) can never find the other's parser there. One instance per thread.
// Strict mode: no lenient flag is set, so llhttp itself refuses Content-Length with
// Transfer-Encoding, a repeated Content-Length, bad chunk sizes and bare LF framing.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface WasmApi {
  Module: new (bytes: Buffer) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** llhttp's error numbers this module acts on (llhttp's `ERROR` enum). */
export const OK = 0;
export const PAUSED = 21;
export const PAUSED_UPGRADE = 22;
const TYPE_RESPONSE = 2;

/** Returned by onHeadersComplete: 0 = a body may follow, SKIP_BODY = none (HEAD, 1xx), SKIP_UPGRADE = the rest is another protocol. */
export const SKIP_BODY = 1;
export const SKIP_UPGRADE = 2;

/** What a response parser reports; each callback returns 0 to go on, PAUSED, or (headers) SKIP_*. */
export interface ResponseEvents {
  onMessageBegin(): number;
  onHeaderField(name: string): number;
  onHeaderValue(value: string): number;
  onHeadersComplete(status: number, major: number, minor: number, upgrade: boolean): number;
  /** A slice of the chunk being executed (no copy): valid as long as that chunk is. */
  onBody(chunk: Buffer): number;
  onMessageComplete(): number;
}

/** Buffer's latin1 decoder (Buffer.prototype.latin1Slice, present in every Node release; not in @types/node). */
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

interface LlhttpExports {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(ptr: number): void;
  llhttp_execute(ptr: number, data: number, length: number): number;
  llhttp_finish(ptr: number): number;
  llhttp_resume(ptr: number): void;
  llhttp_get_error_pos(ptr: number): number;
  llhttp_get_error_reason(ptr: number): number;
  llhttp_get_http_major(ptr: number): number;
  llhttp_get_http_minor(ptr: number): number;
  llhttp_should_keep_alive(ptr: number): number;
  llhttp_message_needs_eof(ptr: number): number;
}

let current: ResponseEvents | null = null;
let chunkRef: Buffer | null = null;
let chunkPtr = 0;
let chunkCapacity = 0;
/**
 * A Buffer over wasm memory. The memory grows only inside malloc and llhttp_alloc, which JS calls
 * (never from inside a parser callback of this instance), so the view is remade right after those
 * calls and nowhere else: a span callback reads it without asking wasm for its buffer again.
 */
let heap: Latin1Buffer;

function refreshHeap(): void {
  const buffer = llhttp.memory.buffer;
  if (heap.buffer !== buffer) heap = Buffer.from(buffer) as Latin1Buffer;
}

/** One native call per span: Buffer's own latin1 decoder, without toString's argument handling. */
function text(at: number, length: number): string {
  return heap.latin1Slice(at, at + length);
}

function load(): LlhttpExports {
  let module: object;
  try {
    module = new wasm.Module(require('undici/lib/llhttp/llhttp_simd-wasm.js') as Buffer);
  } catch {
    module = new wasm.Module(require('undici/lib/llhttp/llhttp-wasm.js') as Buffer);
  }
  const instance = new wasm.Instance(module, {
    env: {
      wasm_on_message_begin: () => current!.onMessageBegin(),
      wasm_on_url: () => 0,
      // The reason phrase is not kept: the client gets the standard one for the status.
      wasm_on_status: () => 0,
      wasm_on_header_field: (_p: number, at: number, length: number) => current!.onHeaderField(text(at, length)),
      wasm_on_header_value: (_p: number, at: number, length: number) => current!.onHeaderValue(text(at, length)),
      wasm_on_headers_complete: (p: number, status: number, upgrade: number) =>
        current!.onHeadersComplete(status, llhttp.llhttp_get_http_major(p), llhttp.llhttp_get_http_minor(p), upgrade === 1),
      wasm_on_body: (_p: number, at: number, length: number) => {
        const start = at - chunkPtr + chunkRef!.byteOffset;
        return current!.onBody(Buffer.from(chunkRef!.buffer, start, length));
      },
      wasm_on_message_complete: () => current!.onMessageComplete(),
    },
  });
  return instance.exports as unknown as LlhttpExports;
}

const llhttp = load();
heap = Buffer.from(llhttp.memory.buffer) as Latin1Buffer;

export class ResponseParser {
  readonly events: ResponseEvents;
  #ptr: number;

  constructor(events: ResponseEvents) {
    this.events = events;
    this.#ptr = llhttp.llhttp_alloc(TYPE_RESPONSE);
    refreshHeap();
  }

  /** Parses `chunk`; OK, or an llhttp error number (after PAUSED*, see consumed()). */
  execute(chunk: Buffer): number {
    if (chunk.length > chunkCapacity) {
      if (chunkPtr !== 0) llhttp.free(chunkPtr);
      chunkCapacity = Math.ceil(chunk.length / 4096) * 4096;
      chunkPtr = llhttp.malloc(chunkCapacity);
      refreshHeap();
    }
    heap.set(chunk, chunkPtr);
    current = this.events;
    chunkRef = chunk;
    try {
      return llhttp.llhttp_execute(this.#ptr, chunkPtr, chunk.length);
    } finally {
      current = null;
      chunkRef = null;
    }
  }

  /** The peer closed its side: completes a close-delimited body, errs on any other unfinished one. */
  finish(): number {
    current = this.events;
    try {
      return llhttp.llhttp_finish(this.#ptr);
    } finally {
      current = null;
    }
  }

  /** Bytes of the last executed chunk the parser got through before it stopped. */
  consumed(): number {
    return llhttp.llhttp_get_error_pos(this.#ptr) - chunkPtr;
  }

  /** llhttp's reason for its last error, for the log. */
  reason(): string {
    const ptr = llhttp.llhttp_get_error_reason(this.#ptr);
    if (ptr === 0) return '';
    const view = heap;
    const end = view.indexOf(0, ptr);
    return view.toString('latin1', ptr, end === -1 ? ptr : end);
  }

  /** After the message completed: may the connection carry another request? */
  keepAlive(): boolean {
    return llhttp.llhttp_should_keep_alive(this.#ptr) === 1;
  }

  resume(): void {
    llhttp.llhttp_resume(this.#ptr);
  }

  free(): void {
    if (this.#ptr !== 0) llhttp.llhttp_free(this.#ptr);
    this.#ptr = 0;
  }
}
