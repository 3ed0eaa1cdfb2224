// Runs on a worker thread (one timer wheel per worker): the layout of a timer's record and handle.
//
// A timer is a number i and a 32-byte record in one flat buffer (records.ts), read through two views:
//   f64[4i + DUE], f64[4i + SEQ]          due time (ms); order of scheduling, for FIFO within a tick
//   i32[8i + INTERVAL]                    period in whole ms (0 = one-shot)
//   i32[8i + STATE], i32[8i + POS]        its slot (or FREE, RUNNING, BATCH) and index there;
//                                         on the free list, POS links to the next free number
//   i32[8i + TAG]                         generation << 16 | name id
// plus its callback and argument side by side in a chunk of refs: refs[i >>> REFS_BITS], at
// 2(i & REFS_MASK) and the slot after.
// Keeping a timer's fields together matters: slots hold timers in random number order, and one
// cache line per record (not one per field array) is what makes firing and cancelling cheap.
// Cost per timer: 32 + 16 = 48 bytes (+ 4 in its slot's list), no object.
//
// Hot code must not use these names as imports: optimised code reads an imported (or exported)
// binding from its module cell, with a TDZ check, at every use, while a module-level const that
// is not exported is folded into the code. Modules take local copies instead:
//   import * as layout from './layout.ts';  const { DUE, SEQ } = layout;
// (the firing path uses about a dozen per timer: with copies it costs 15-20% less, measured
// with a simulated clock).

export const DUE = 0;
export const SEQ = 1;
export const INTERVAL = 4;
export const STATE = 5;
export const POS = 6;
export const TAG = 7;
export const RECORD_BYTES = 32;

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

/**
 * 4096 timers per chunk of refs: an 8192-slot (64 KB) array, below V8's largest regular object
 * (128 KB). A larger one would be a large object, mapped afresh (and page-faulted in) for every
 * chunk, where regular heap pages are recycled.
 */
export const REFS_BITS = 12;
export const REFS_CHUNK = 1 << REFS_BITS;
export const REFS_MASK = REFS_CHUNK - 1;
