// The HTTP/1.1 request parser of the proxy listener (worker thread): llhttp, the parser node:http
// itself uses, in the WebAssembly build undici ships for its response parser. The same module
// parses requests when a parser is allocated with TYPE.REQUEST. One wasm instance per thread; its
// callbacks reach the parser being executed through `current` (execute never nests).
// Strict mode, as node:http without --insecure-http-parser: no lenient flags are set.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The part of the WebAssembly API used here (the project's TypeScript setup has no wasm types). */
interface WasmApi {
  Module: new (bytes: Buffer) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** llhttp's error numbers this module acts on (llhttp's `ERROR` enum). */
export const OK = 0;
export const INVALID_VERSION = 9;
export const PAUSED = 21;
export const PAUSED_UPGRADE = 22;
export const PAUSED_H2_UPGRADE = 23;
export const USER = 24;
const TYPE_REQUEST = 1;

/**
 * What a parser reports; each callback returns 0 to go on, or PAUSED / USER (from
 * onHeadersComplete, any non-zero value but PAUSED makes llhttp report CB_HEADERS_COMPLETE).
 * `end`: where the span ends, as an offset into the chunk being executed.
 */
export interface ParserEvents {
  onMessageBegin(): number;
  onUrl(url: string, end: number): number;
  onHeaderField(name: string, end: number): number;
  onHeaderValue(value: string, end: number): number;
  onHeadersComplete(method: number, major: number, minor: number, upgrade: boolean, keepAlive: boolean): number;
  /** A slice of the chunk being executed (no copy): valid as long as that chunk is. */
  onBody(chunk: Buffer, end: number): number;
  onMessageComplete(): number;
}

/** Offsets in llhttp_t (llhttp.h, wasm32): the body bytes still expected, and the version. */
const CONTENT_LENGTH_HIGH = 36;
const CONTENT_LENGTH_LOW = 32;
const HTTP_MAJOR = 42;
const HTTP_MINOR = 43;

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
  llhttp_resume(ptr: number): void;
  llhttp_get_error_pos(ptr: number): number;
  llhttp_get_http_major(ptr: number): number;
  llhttp_get_http_minor(ptr: number): number;
  llhttp_get_method(ptr: number): number;
}

let current: ParserEvents | null = null;
/** The chunk being executed and where it was copied to in wasm memory. */
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
    // No wasm SIMD on this CPU: the plain build.
    module = new wasm.Module(require('undici/lib/llhttp/llhttp-wasm.js') as Buffer);
  }
  const instance = new wasm.Instance(module, {
    env: {
      wasm_on_message_begin: () => current!.onMessageBegin(),
      wasm_on_url: (_p: number, at: number, length: number) => current!.onUrl(text(at, length), at + length - chunkPtr),
      wasm_on_status: () => 0,
      wasm_on_header_field: (_p: number, at: number, length: number) => current!.onHeaderField(text(at, length), at + length - chunkPtr),
      wasm_on_header_value: (_p: number, at: number, length: number) => current!.onHeaderValue(text(at, length), at + length - chunkPtr),
      wasm_on_headers_complete: (p: number, _status: number, upgrade: number, keepAlive: number) =>
        current!.onHeadersComplete(llhttp.llhttp_get_method(p), llhttp.llhttp_get_http_major(p), llhttp.llhttp_get_http_minor(p), upgrade === 1, keepAlive === 1),
      wasm_on_body: (_p: number, at: number, length: number) => {
        const start = at - chunkPtr + chunkRef!.byteOffset;
        return current!.onBody(Buffer.from(chunkRef!.buffer, start, length), at + length - chunkPtr);
      },
      wasm_on_message_complete: () => current!.onMessageComplete(),
    },
  });
  return instance.exports as unknown as LlhttpExports;
}

const llhttp = load();
heap = Buffer.from(llhttp.memory.buffer) as Latin1Buffer;

/** Method names by llhttp's numbering (its METHODS enum, as undici ships it). */
const METHODS: string[] = [];
for (const [name, code] of Object.entries(require('undici/lib/llhttp/constants.js').METHODS as Record<string, number>)) METHODS[code] = name;

export function methodName(code: number): string {
  return METHODS[code] ?? '<unknown>';
}

export class RequestParser {
  readonly events: ParserEvents;
  #ptr: number;

  constructor(events: ParserEvents) {
    this.events = events;
    this.#ptr = llhttp.llhttp_alloc(TYPE_REQUEST);
    refreshHeap();
  }

  /**
   * Parses `chunk`; returns OK, or an llhttp error number. After PAUSED the bytes not yet parsed
   * start at `chunk.subarray(consumed)`; they must be given again after `resume()`.
   */
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

  /** Bytes of the last executed chunk the parser got through before it stopped. */
  consumed(): number {
    return llhttp.llhttp_get_error_pos(this.#ptr) - chunkPtr;
  }

  /**
   * Body bytes llhttp still expects: of the Content-Length body, or of the current chunk. A 64-bit
   * counter; above 2^53 (never honoured: no such body is ever read to its end) this returns Infinity.
   */
  remaining(): number {
    const view = heap;
    const high = view.readUInt32LE(this.#ptr + CONTENT_LENGTH_HIGH);
    if (high >= 0x200000) return Infinity;
    return high * 0x1_0000_0000 + view.readUInt32LE(this.#ptr + CONTENT_LENGTH_LOW);
  }

  /** The request line ended right after the target: HTTP/0.9, which this proxy refuses. */
  http09(): boolean {
    const view = heap;
    return view[this.#ptr + HTTP_MAJOR] === 0 && view[this.#ptr + HTTP_MINOR] === 9;
  }

  method(): number {
    return llhttp.llhttp_get_method(this.#ptr);
  }

  resume(): void {
    llhttp.llhttp_resume(this.#ptr);
  }

  free(): void {
    if (this.#ptr !== 0) llhttp.llhttp_free(this.#ptr);
    this.#ptr = 0;
  }
}
