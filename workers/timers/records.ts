// Runs on a worker thread: the storage of one timer wheel's timers (one wheel per worker).
//
// A timer is a number i and a 32-byte record in one ArrayBuffer, read through two views:
//   f64[4i + DUE], f64[4i + SEQ]          due time (ms); order of scheduling, for FIFO within a tick
//   i32[8i + INTERVAL]                    period in whole ms (0 = one-shot)
//   i32[8i + STATE], i32[8i + POS]        its slot (or FREE, RUNNING, BATCH) and index there;
//                                         on the free list, POS links to the next free number
//   i32[8i + TAG]                         generation << 16 | name id
// plus its callback and argument side by side in one packed array, refs[2i] and refs[2i + 1].
// Keeping a timer's fields together matters: slots hold timers in random number order, and one
// cache line per record (not one per field array) is what makes firing and cancelling cheap.
// Cost per timer: 32 + 16 = 48 bytes (+ 4 in its slot's list), no object.

export const DUE = 0;
export const SEQ = 1;
export const INTERVAL = 4;
export const STATE = 5;
export const POS = 6;
export const TAG = 7;

export const NONE = -1;
/** STATE of a number on the free list. */
export const FREE = -1;
/** STATE of a one-shot timer inside its own callback. */
export const RUNNING = -2;
/** STATE of a timer in the batch being fired (POS = its index in the batch). */
export const BATCH = -3;

/** A handle is gen << INDEX_BITS | number: an int32 (negative once gen >= 1024), never 0. */
export const INDEX_BITS = 21;
export const INDEX_MASK = (1 << INDEX_BITS) - 1;
export const GEN_MAX = 0x7ff;
/** Live timers per wheel; handles keep the other 11 bits for the generation. */
export const MAX_TIMERS = 1 << INDEX_BITS;

/** The tables; fields are read directly by the wheel, which owns this object. */
export class TimerRecords {
  f64 = new Float64Array(0);
  i32 = new Int32Array(0);
  refs: unknown[] = [];
  capacity = 0;
  highWater = 0;
  freeHead = NONE;
  freeTail = NONE;

  constructor(initialCapacity: number) {
    this.#resize(Math.min(MAX_TIMERS, Math.max(16, Math.floor(initialCapacity))));
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
    if (this.highWater === this.capacity) {
      if (this.capacity >= MAX_TIMERS) throw new RangeError(`timer wheel is full: ${MAX_TIMERS} live timers`);
      this.#resize(Math.min(MAX_TIMERS, this.capacity * 2));
    }
    const fresh = this.highWater++;
    this.i32[(fresh << 3) + TAG] = 1 << 16; // generation 1: a handle is never 0
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
    this.refs[2 * i] = undefined;
    this.refs[2 * i + 1] = undefined;
    if (this.freeTail === NONE) this.freeHead = i;
    else i32[(this.freeTail << 3) + POS] = i;
    this.freeTail = i;
  }

  #resize(capacity: number): void {
    // Records past highWater are never read before alloc() sets them up, so there is no
    // initialising pass: fresh pages are first touched in use. (A resizable ArrayBuffer would
    // save this copy, but its length-tracking views made every access slower.)
    const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    const f64 = new Float64Array(buffer);
    f64.set(this.f64);
    this.f64 = f64;
    this.i32 = new Int32Array(buffer);
    // fill() makes a packed array (no holes) in one allocation; cheaper than growing by push().
    const refs = new Array<unknown>(2 * capacity).fill(undefined);
    const old = this.refs;
    for (let k = 0; k < old.length; k++) refs[k] = old[k];
    this.refs = refs;
    this.capacity = capacity;
  }
}

const RECORD_BYTES = 32;
