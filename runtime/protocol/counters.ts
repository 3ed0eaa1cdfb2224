// Layout and access protocol of the SharedArrayBuffer that holds rate-limiting counters. Shared by
// every worker thread of the process, so `policy: local` counts exactly across workers, as Kong's
// does across the nginx workers of a node through one shared dict.
// The primary allocates the buffer once (`createCounterMemory`) and hands it to every worker it
// spawns, respawns included, so counts survive a worker crash. Workers read and write it through
// `SharedCounters`; nothing else touches it.
//
// Layout (Int32 words):
//   [0] MAGIC   [1] slots per period   [2] inserts refused because a table was full
//   [3] the second (since 2020-01-01Z) of the last "table full" warning, so that one thread of all
//       the workers logs it, at most once a second
//   then one open-addressed table per period (second, minute, hour, day, month, year), each
//   `slots` slots of 4 words: [window, key hash high, key hash low, count].
//
// `window` is a window token: the window's start in seconds since 2020-01-01Z, plus 1 (so 0 means
// "never used"). A table holds the keys of one window at a time: a slot whose token is older than
// the caller's window is free, so when a window ends every slot of its table frees at once, with
// no sweep, no timer and no tombstones (and linear probing never sees holes mid-chain). A claim in
// progress is marked by the negated token while its writer fills in the key.
//
// Exactness: a hit on an existing key is one Atomics.add; a new key claims a slot by CAS, and a
// reader meeting a claim in progress waits for it (at most CLAIM_WAIT_MS). Only a thread stalled
// longer than that in the middle of a claim (three stores) could split one key over two slots.
//
// Capacity: `slots` distinct live keys (plugin id + identifier, stored as a 64-bit hash, so a key of
// any length takes 16 bytes) per period table, `--rate-limit-slots`, 2^20 by default: 1M live keys
// per period, 16 MiB per table, 96 MiB of address space for the six, of which only the pages keys
// land on become resident. Slots of ended windows are reclaimed as described above. A key is placed
// within MAX_PROBES slots of its hash or not at all: when that fails `increment` returns -1 and
// counts the refusal (`sluice_rate_limiting_table_full_total`); the rate-limiting plugin then acts as
// Kong does when its policy cannot read a count (fault_tolerant: let the request through uncounted,
// else 500). A live count is never evicted to make room: that would reset a key's count, which is
// failing open too.

const MAGIC = 0x534c4331; // "SLC1"
const HEADER_WORDS = 4;
const WORD_SLOTS = 1;
const WORD_FULL = 2;
const WORD_WARNED = 3;
const SLOT_WORDS = 4;
const MAX_PROBES = 128;
/** How long a reader waits for another thread's claim (three stores) before giving up on it. */
const CLAIM_WAIT_MS = 50;

/** 2020-01-01T00:00:00Z: tokens fit an int32 until 2088. */
const TOKEN_EPOCH_S = 1_577_836_800;

export const COUNTER_PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type CounterPeriod = (typeof COUNTER_PERIODS)[number];

export const DEFAULT_COUNTER_SLOTS = 1 << 20;
/** 4M slots per period: 384 MiB of address space for the six tables. */
export const MAX_COUNTER_SLOTS = 1 << 22;

/** Allocates the counters buffer. `slotsPerPeriod` is rounded up to a power of two. */
export function createCounterMemory(slotsPerPeriod: number = DEFAULT_COUNTER_SLOTS): SharedArrayBuffer {
  if (!(slotsPerPeriod <= MAX_COUNTER_SLOTS)) throw new RangeError(`at most ${MAX_COUNTER_SLOTS} counter slots per period, got ${slotsPerPeriod}`);
  let slots = 16;
  while (slots < slotsPerPeriod) slots *= 2;
  const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (HEADER_WORDS + COUNTER_PERIODS.length * slots * SLOT_WORDS));
  const view = new Int32Array(buffer);
  view[0] = MAGIC;
  view[WORD_SLOTS] = slots;
  return buffer;
}

/** The token of the window starting at `startMs` (epoch ms, a whole second). */
export function windowToken(startMs: number): number {
  return Math.floor(startMs / 1000) - TOKEN_EPOCH_S + 1;
}

export class SharedCounters {
  readonly #view: Int32Array;
  readonly #slots: number;
  readonly #mask: number;
  /** Word index of the count touched by the last successful `increment` (for `decrement`). */
  lastSlot = -1;

  constructor(buffer: SharedArrayBuffer) {
    const view = new Int32Array(buffer);
    if (view[0] !== MAGIC) throw new TypeError('not a counters buffer (use createCounterMemory)');
    this.#view = view;
    this.#slots = view[WORD_SLOTS]!;
    this.#mask = this.#slots - 1;
  }

  get slotsPerPeriod(): number {
    return this.#slots;
  }

  /** Inserts refused so far because a table had no free slot near the key's hash (all workers). */
  get refused(): number {
    return Atomics.load(this.#view, WORD_FULL);
  }

  /**
   * True for exactly one caller (of every thread) per second: the one to log that a table is full.
   * @param nowMs epoch ms
   */
  claimWarning(nowMs: number): boolean {
    const second = Math.floor(nowMs / 1000) - TOKEN_EPOCH_S;
    const last = Atomics.load(this.#view, WORD_WARNED);
    return second > last && Atomics.compareExchange(this.#view, WORD_WARNED, last, second) === last;
  }

  /**
   * Counts one hit (or `amount`: response-ratelimiting adds what the upstream said) for a key in a
   * window and returns the count including it, or -1 when the table is full. Lock-free on an
   * existing key (one Atomics.add); a new key claims a slot by CAS.
   * @param period index into COUNTER_PERIODS
   * @param token  windowToken of the window's start
   */
  increment(period: number, token: number, hashHi: number, hashLo: number, amount = 1): number {
    const view = this.#view;
    const mask = this.#mask;
    const base = HEADER_WORDS + period * this.#slots * SLOT_WORDS;
    let index = hashLo & mask;
    let probes = 0;
    while (probes < MAX_PROBES) {
      const at = base + index * SLOT_WORDS;
      let seen = Atomics.load(view, at);
      if (seen < 0 && -seen <= token) seen = this.#awaitClaim(at, seen);
      if (seen === token) {
        if (Atomics.load(view, at + 1) === hashHi && Atomics.load(view, at + 2) === hashLo) {
          this.lastSlot = at + 3;
          return Atomics.add(view, at + 3, amount) + amount;
        }
      } else if (seen >= 0 ? seen < token : -seen < token) {
        // Free: never used, an ended window, or a claim abandoned in an ended window.
        if (Atomics.compareExchange(view, at, seen, -token) !== seen) continue; // lost the race: look again
        Atomics.store(view, at + 1, hashHi);
        Atomics.store(view, at + 2, hashLo);
        Atomics.store(view, at + 3, amount);
        // A CAS, not a store: should this thread have stalled so long that another took the slot
        // over as abandoned, the newer owner's token must not be overwritten.
        Atomics.compareExchange(view, at, -token, token);
        Atomics.notify(view, at);
        this.lastSlot = at + 3;
        return amount;
      }
      // Another key of this window, a later window (this caller is late), or a stuck claim.
      index = (index + 1) & mask;
      probes++;
    }
    Atomics.add(view, WORD_FULL, 1);
    return -1;
  }

  /** Takes back one hit counted by `increment` (Kong counts only requests it lets through). */
  decrement(slot: number, token: number): void {
    // The slot may have moved on to a new window since; then the old count is gone anyway.
    if (Atomics.load(this.#view, slot - 3) === token) Atomics.sub(this.#view, slot, 1);
  }

  /** Current count of a key in a window, without counting; 0 when absent. */
  peek(period: number, token: number, hashHi: number, hashLo: number): number {
    const view = this.#view;
    const base = HEADER_WORDS + period * this.#slots * SLOT_WORDS;
    let index = hashLo & this.#mask;
    for (let probes = 0; probes < MAX_PROBES; probes++, index = (index + 1) & this.#mask) {
      const at = base + index * SLOT_WORDS;
      const seen = Atomics.load(view, at);
      if (seen === token && Atomics.load(view, at + 1) === hashHi && Atomics.load(view, at + 2) === hashLo) return Atomics.load(view, at + 3);
      if (seen >= 0 && seen < token) return 0; // first free slot: the key is not further along
    }
    return 0;
  }

  /**
   * Waits for a claim in progress (its writer is between three stores). Bounded: a writer that
   * stalls longer than CLAIM_WAIT_MS (or died mid-claim) is passed over.
   */
  #awaitClaim(at: number, seen: number): number {
    const view = this.#view;
    for (let spins = 0; spins < 64; spins++) {
      const now = Atomics.load(view, at);
      if (now !== seen) return now;
    }
    for (let waited = 0; waited < CLAIM_WAIT_MS; waited++) {
      if (Atomics.wait(view, at, seen, 1) !== 'timed-out') return Atomics.load(view, at);
    }
    return Atomics.load(view, at);
  }
}
