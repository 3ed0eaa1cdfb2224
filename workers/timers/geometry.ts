// Runs on a worker thread (one wheel per worker): the shape of the wheel and its occupancy bitmaps.
//
// Four levels of 256 slots with a 1 ms tick: level L slot d holds timers whose due tick has digit d
// in bits [8L, 8L+8) and whose distance from the wheel's current tick was below 256^(L+1) when they
// were placed. Placing by distance (not by the highest bit that differs from the current tick) keeps
// every timer within a minute of now on levels 0 and 1, so crossing a big boundary (every 65.5 s,
// 4.7 h) never cascades the whole wheel at once: a level-1 slot spans 256 ms of due times.
//
// Slot lists are entered at absolute ticks: level L slot d is "entered" at the next tick whose
// digit L is d and whose lower 8L bits are zero. A slot is cascaded (its timers placed again, one
// level lower at least) when entered, and level-0 slots fire when entered. Digits use the low 32
// bits of the tick, so level 3 wraps every 2^32 ms (49.7 days) - harmless, since no delay reaches
// 2^32 ms.

export const SLOT_BITS = 8;
export const SLOTS = 1 << SLOT_BITS; // per level
export const LEVELS = 4;
export const ALL_SLOTS = SLOTS * LEVELS;
/** setTimeout's own limit; with the current tick it keeps every distance below 2^32. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

const WORDS_PER_LEVEL = SLOTS / 32;

/** Occupancy: one bit per slot, set exactly when the slot's list is non-empty. */
export function createBitmap(): Uint32Array {
  return new Uint32Array(ALL_SLOTS / 32);
}

export function setBit(bits: Uint32Array, slot: number): void {
  bits[slot >>> 5]! |= 1 << (slot & 31);
}

export function clearBit(bits: Uint32Array, slot: number): void {
  bits[slot >>> 5]! &= ~(1 << (slot & 31));
}

function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/**
 * The first occupied digit of `level` in circular order from digit `from` (inclusive), or -1.
 * At most 9 word reads: this is what lets an idle wheel sleep until its next occupied slot.
 */
export function nextOccupied(bits: Uint32Array, level: number, from: number): number {
  const base = level * WORDS_PER_LEVEL;
  const first = from >>> 5;
  let w = first;
  let word = bits[base + w]! & (-1 << (from & 31));
  for (let k = 0; k < WORDS_PER_LEVEL; k++) {
    if (word !== 0) return (w << 5) + lowestBit(word);
    w = (w + 1) & (WORDS_PER_LEVEL - 1);
    word = bits[base + w]!;
  }
  // Back at the first word: the digits below `from` come last in circular order.
  word = bits[base + first]! & ~(-1 << (from & 31));
  return word !== 0 ? (first << 5) + lowestBit(word) : -1;
}
