// Runs on a worker thread: the storage of one timer wheel's timers (one wheel per worker).
// Record layout and handle bits: layout.ts.
//
// Growth never copies records. Doubling by copying touched twice the memory (on the bench VM, a
// paravirtualised guest, a first-touch page fault costs 10-20 us: ~130 ns per timer for 32
// bytes), copied, and left the old table to the GC: growing a fresh wheel to 1M timers cost
// more than the wheel's own work (bench/RESULTS.timer-wheel.md). So:
// - Records sit in a WebAssembly.Memory used as a plain buffer (no wasm code runs). It grows in
//   place: V8 reserves its address range up front (address space only: ~8 GB on x64, just the
//   64 MB maximum when address space is capped; memory is committed as it grows and costs
//   nothing until touched). The views stay flat typed arrays, which the hot paths need: reaching
//   records through a table of chunks instead made firing 20-35% dearer (extra instructions per
//   timer in loops that wait on cache misses). Where WebAssembly is missing (--jitless) or the
//   reservation fails, a plain buffer doubles by copying, as before.
// - Callbacks and arguments sit in fixed chunks of REFS_CHUNK timers, allocated as numbers are
//   first used and never moved.
import * as layout from './layout.ts';

// Local copies, not imports: see layout.ts.
const { FREE, GEN_MAX, MAX_TIMERS, NONE, POS, RECORD_BYTES, REFS_BITS, REFS_CHUNK, REFS_MASK, STATE, TAG } = layout;

const PAGE = 65536; // WebAssembly's page size
const MAX_PAGES = (MAX_TIMERS * RECORD_BYTES) / PAGE;

/** The part of WebAssembly.Memory used here (the project's TypeScript setup has no wasm types). */
interface GrowableMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type MemoryConstructor = new (descriptor: { initial: number; maximum: number }) => GrowableMemory;
const Memory = (globalThis as { WebAssembly?: { Memory?: MemoryConstructor } }).WebAssembly?.Memory;

/** The tables; fields are read directly by the wheel, which owns this object. */
export class TimerRecords {
  /**
   * Flat views of the records. Replaced when the tables grow, which leaves the old ones empty
   * (in-place growth detaches the old buffer): never keep them across an alloc().
   */
  f64: Float64Array;
  i32: Int32Array;
  /** Timer i's callback and argument: refs[i >>> REFS_BITS][2 * (i & REFS_MASK)] and the slot after. */
  readonly refs: unknown[][] = [];
  capacity: number;
  highWater = 0;
  freeHead = NONE;
  freeTail = NONE;
  readonly #memory: GrowableMemory | undefined;

  /** `growInPlace: false` forces the copying fallback (for tests; it is chosen when needed anyway). */
  constructor(initialCapacity: number, growInPlace = true) {
    const want = Math.min(MAX_TIMERS, Math.max(16, Math.floor(initialCapacity)));
    this.#memory = growInPlace ? reserve(Math.ceil((want * RECORD_BYTES) / PAGE)) : undefined;
    const buffer = this.#memory?.buffer ?? new ArrayBuffer(want * RECORD_BYTES);
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.capacity = buffer.byteLength / RECORD_BYTES;
  }

  /**
   * A number for a new timer. Freed numbers are reused first-in first-out, so one number is
   * reused (and its generation advanced) as rarely as possible: a stale handle stays stale.
   */
  alloc(): number {
    const i = this.freeHead;
    if (i !== NONE) {
      this.freeHead = this.i32[(i << 3) + POS]!;
      if (this.freeHead === NONE) this.freeTail = NONE;
      return i;
    }
    if (this.highWater === this.capacity) this.#grow();
    const fresh = this.highWater++;
    // Records past highWater are never read before this, so new memory needs no initialising pass.
    this.i32[(fresh << 3) + TAG] = 1 << 16; // generation 1: a handle is never 0
    // fill() makes a packed array (no holes) in one allocation; cheaper than growing by push().
    if ((fresh & REFS_MASK) === 0) this.refs.push(new Array<unknown>(2 * REFS_CHUNK).fill(undefined));
    return fresh;
  }

  /** Drop the callback and argument now, advance the generation, queue the number for reuse. */
  release(i: number): void {
    const i32 = this.i32;
    const o = i << 3;
    i32[o + STATE] = FREE;
    const gen = i32[o + TAG]! >>> 16;
    i32[o + TAG] = (gen === GEN_MAX ? 1 : gen + 1) << 16;
    i32[o + POS] = NONE;
    const refs = this.refs[i >>> REFS_BITS]!;
    refs[2 * (i & REFS_MASK)] = undefined;
    refs[2 * (i & REFS_MASK) + 1] = undefined;
    if (this.freeTail === NONE) this.freeHead = i;
    else i32[(this.freeTail << 3) + POS] = i;
    this.freeTail = i;
  }

  #grow(): void {
    if (this.capacity >= MAX_TIMERS) throw new RangeError(`timer wheel is full: ${MAX_TIMERS} live timers`);
    let buffer: ArrayBuffer;
    if (this.#memory !== undefined) {
      // Growing in place is cheap, so an eighth more at a time (at least a page) keeps the room
      // allocated but unused small.
      const pages = this.#memory.buffer.byteLength / PAGE;
      this.#memory.grow(Math.min(MAX_PAGES - pages, Math.max(1, pages >>> 3)));
      buffer = this.#memory.buffer;
    } else {
      buffer = new ArrayBuffer(Math.min(MAX_TIMERS, this.capacity * 2) * RECORD_BYTES);
      new Float64Array(buffer).set(this.f64);
    }
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.capacity = buffer.byteLength / RECORD_BYTES;
  }
}

/** A buffer of `pages` that can grow to MAX_PAGES without moving, or undefined. */
function reserve(pages: number): GrowableMemory | undefined {
  if (Memory === undefined) return undefined;
  try {
    return new Memory({ initial: pages, maximum: MAX_PAGES });
  } catch {
    return undefined; // not even 64 MB of address space left: fall back to copying
  }
}
