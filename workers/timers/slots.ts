// Runs on a worker thread: the 1024 slot lists of one timer wheel (one wheel per worker).
//
// Each slot's timers are a dense array of timer numbers, not a linked list: firing or cascading
// a slot reads it front to back, so the CPU can fetch many timer records at once instead of
// chasing one pointer (one cache miss) per timer. Removal swaps the last entry into the hole,
// so it is O(1) and the array never holds dead entries; the wheel restores scheduling order by
// sequence number when it fires a slot.
import * as geometry from './geometry.ts';

// Local copies, not imports, for the hot paths: see layout.ts.
const { ALL_SLOTS, clearBit, createBitmap, setBit } = geometry;

const FIRST_CAPACITY = 8;
/** A list emptied with more room than this gives it back (after a burst into one slot). */
const KEEP_CAPACITY = 1 << 16;
const EMPTY = new Int32Array(0);

export class SlotLists {
  /** Per slot: timer numbers in [0, lengths[slot]); spare capacity is kept for reuse, within reason. */
  readonly lists: Int32Array[] = [];
  readonly lengths = new Int32Array(ALL_SLOTS);
  /** One bit per slot, set exactly when its list is non-empty. */
  readonly occupied = createBitmap();

  constructor() {
    // Lists are allocated on first use: most of the 1024 slots of a quiet wheel stay empty.
    for (let s = 0; s < ALL_SLOTS; s++) this.lists.push(EMPTY);
  }

  /** Append timer `i`; returns its index in the slot. */
  append(slot: number, i: number): number {
    const n = this.lengths[slot]!;
    let list = this.lists[slot]!;
    if (n === list.length) {
      const grown = new Int32Array(Math.max(FIRST_CAPACITY, n * 2));
      grown.set(list);
      this.lists[slot] = list = grown;
    }
    list[n] = i;
    this.lengths[slot] = n + 1;
    if (n === 0) setBit(this.occupied, slot);
    return n;
  }

  /** Remove the entry at `pos`; returns the timer moved into `pos` (its index changed), or -1. */
  removeAt(slot: number, pos: number): number {
    const last = this.lengths[slot]! - 1;
    this.lengths[slot] = last;
    if (last === 0) clearBit(this.occupied, slot);
    if (pos === last) return -1;
    const list = this.lists[slot]!;
    const moved = list[last]!;
    list[pos] = moved;
    return moved;
  }

  /** Forget every entry of `slot` (the caller has taken them, and may keep reading the old list). */
  clear(slot: number): void {
    this.lengths[slot] = 0;
    clearBit(this.occupied, slot);
    if (this.lists[slot]!.length > KEEP_CAPACITY) this.lists[slot] = EMPTY;
  }
}
