// Runs on a worker thread: one TimerWheel per worker, driven by one unref'd setTimeout.
//
// A hierarchical timer wheel with a 1 ms tick (levels: geometry.ts). Timers are 48-byte records
// in typed arrays (layout.ts, records.ts) whose numbers sit in dense per-slot lists (slots.ts), so
// insert and cancel are O(1), no timer is an object, and cancel drops the callback and its
// argument at once (Kong's timer-ng keeps a cancelled timer until it is due).
//
// Invariants:
// - A timer never fires before its due time: it sits in the slot of tick ceil(due), a tick is
//   processed only once the clock has reached it, and firing re-checks the due time itself.
// - `#cur` is the last processed tick; every listed timer is due after `#cur`, except while a
//   tick is being processed (its level-0 slot then holds the timers due at exactly that tick).
//   So nothing is ever added to the level-0 slot being fired.
// - `#armedTick` <= the earliest slot entry (see geometry.ts), or Infinity when nothing is armed.
//   The driver sleeps until then; a wake that leaves the wheel empty arms nothing.
// - Same-tick timers fire in the order they were scheduled (or rescheduled, or re-armed by
//   their period): each gets a sequence number, and a fired slot is put in that order first.
import { SystemClock, type TimerClock } from './clock.ts';
import * as geometry from './geometry.ts';
import * as layout from './layout.ts';
import { TimerRecords } from './records.ts';
import { SlotLists } from './slots.ts';
import { TimerStatsTable, type TimersReport } from './stats.ts';

// Local copies, not imports, for the hot paths: see layout.ts.
const { LEVELS, MAX_DELAY_MS, SLOTS, nextOccupied } = geometry;
const { BATCH, DUE, FREE, GEN_MAX, INDEX_BITS, INDEX_MASK, INTERVAL, NONE, POS, REFS_BITS, REFS_MASK, RUNNING, SEQ, STATE, TAG } = layout;

/**
 * An opaque non-zero integer (a small integer for V8, so returning it allocates nothing): timer
 * number in the low 21 bits, an 11-bit generation above. A handle kept after its timer fired or
 * was cancelled is stale: cancel() and reschedule() return false instead of touching whichever
 * timer reuses the number. The generation wraps after 2047 reuses of one number, and numbers are
 * reused first-in first-out, so that takes 2047 x (free numbers) schedules.
 */
export type TimerHandle = number;

/**
 * `arg` is the value given at schedule time, so a hot path can pass a shared function plus its
 * state instead of a closure per timer. A returned promise's rejection counts as an error.
 */
export type TimerCallback<A> = (arg: A, handle: TimerHandle) => void | PromiseLike<unknown>;

export interface TimerWheelOptions {
  /** Time source and wake-up; defaults to performance.now() and an unref'd setTimeout. */
  clock?: TimerClock;
  /** Called when a callback throws or its promise rejects; the wheel goes on regardless. */
  onError?: (error: unknown, timerName: string) => void;
  /** Reported as `worker.id` / `worker.count` in stats(), as Kong's /timers does. */
  workerId?: number;
  workerCount?: number;
  /** Timers to allocate room for up front (the tables grow as needed, up to MAX_TIMERS). */
  initialCapacity?: number;
}

type AnyCallback = (arg: unknown, handle: TimerHandle) => unknown;

const prefetched = { count: 0 };

export class TimerWheel {
  readonly #records: TimerRecords;
  readonly #slots = new SlotLists();
  #cur: number;
  #seq = 0;
  #armedTick = Infinity;
  #inAdvance = false;
  /** The level-0 slot being fired, and how many of its timers are still to run. */
  #firingSlot = NONE;
  #batchLeft = 0;
  #closed = false;
  /** Due ticks of a slot being cascaded. */
  #scratch = new Float64Array(64);

  #live = 0;
  #scheduled = 0;
  #running = 0;
  #runningName = NONE;
  readonly #stats = new TimerStatsTable();
  #lastName: string | undefined = undefined;
  #lastNameId = 0;

  readonly #clock: TimerClock;
  readonly #onError: (error: unknown, timerName: string) => void;
  readonly #workerId: number;
  readonly #workerCount: number;
  /** The one wake-up function handed to the clock, made once. */
  readonly #drive = (): void => {
    this.#armedTick = Infinity;
    this.#advance(this.#clock.now());
  };
  readonly #bySeq = (a: number, b: number): number => {
    const f64 = this.#records.f64;
    return f64[(a << 2) + SEQ]! - f64[(b << 2) + SEQ]!;
  };

  constructor(options: TimerWheelOptions = {}) {
    this.#clock = options.clock ?? new SystemClock();
    this.#onError = options.onError ?? logToStderr;
    this.#workerId = options.workerId ?? 0;
    this.#workerCount = options.workerCount ?? 1;
    this.#records = new TimerRecords(options.initialCapacity ?? 1024);
    this.#cur = Math.floor(this.#clock.now());
  }

  /** Live timers: scheduled and not yet fired (one-shot) or cancelled. */
  get pending(): number {
    return this.#live;
  }

  /** Run `callback(arg, handle)` once, `delayMs` (0..2^31-1) from now. */
  schedule(name: string, delayMs: number, callback: TimerCallback<undefined>): TimerHandle;
  schedule<A>(name: string, delayMs: number, callback: TimerCallback<A>, arg: A): TimerHandle;
  schedule<A>(name: string, delayMs: number, callback: TimerCallback<A>, arg?: A): TimerHandle {
    if (!(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) throw new RangeError(`timer delay must be 0..${MAX_DELAY_MS} ms, got ${delayMs}`);
    return this.#add(name, delayMs, 0, callback as AnyCallback, arg);
  }

  /**
   * Run `callback(arg, handle)` every `intervalMs` (>= 1, rounded up to whole ms), first after
   * one interval. Due times stay on the grid start + k * interval whatever the lateness; periods
   * missed entirely are skipped, not run back to back.
   */
  every(name: string, intervalMs: number, callback: TimerCallback<undefined>): TimerHandle;
  every<A>(name: string, intervalMs: number, callback: TimerCallback<A>, arg: A): TimerHandle;
  every<A>(name: string, intervalMs: number, callback: TimerCallback<A>, arg?: A): TimerHandle {
    if (!(intervalMs >= 1 && intervalMs <= MAX_DELAY_MS)) throw new RangeError(`timer interval must be 1..${MAX_DELAY_MS} ms, got ${intervalMs}`);
    const whole = Math.ceil(intervalMs);
    return this.#add(name, whole, whole, callback as AnyCallback, arg);
  }

  /** Stop a timer and free its memory now. False for a stale handle or a one-shot already firing. */
  cancel(handle: TimerHandle): boolean {
    const i = this.#numberOf(handle);
    if (i === NONE) return false;
    const slot = this.#records.i32[(i << 3) + STATE]!;
    if (slot === RUNNING) return false;
    this.#unlink(i, slot);
    this.#free(i);
    return true;
  }

  /**
   * Move a live timer to `delayMs` from now (a one-shot inside its own callback too: it then
   * fires again). A recurring timer continues its period from the new due time.
   */
  reschedule(handle: TimerHandle, delayMs: number): boolean {
    if (!(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) throw new RangeError(`timer delay must be 0..${MAX_DELAY_MS} ms, got ${delayMs}`);
    const i = this.#numberOf(handle);
    if (i === NONE) return false;
    const slot = this.#records.i32[(i << 3) + STATE]!;
    if (slot !== RUNNING) this.#unlink(i, slot);
    const now = this.#clock.now();
    this.#records.f64[(i << 2) + DUE] = now + delayMs;
    this.#records.f64[(i << 2) + SEQ] = ++this.#seq;
    this.#insert(i, now);
    return true;
  }

  /** Kong's /timers shape; see stats.ts. */
  stats(): TimersReport {
    const { timers, runs, errors } = this.#stats.report(this.#runningName);
    const pending = this.#batchLeft;
    const total = this.#live;
    const running = this.#running;
    return {
      worker: { id: this.#workerId, count: this.#workerCount },
      stats: {
        sys: { running, pending, waiting: Math.max(0, total - running - pending), total, runs, scheduled: this.#scheduled, errors },
        timers,
      },
    };
  }

  /** Cancel every timer and stop the driver. Scheduling afterwards throws; stats() still works. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#armedTick = Infinity;
    this.#clock.disarm();
    const i32 = this.#records.i32;
    for (let i = 0; i < this.#records.highWater; i++) {
      const state = i32[(i << 3) + STATE]!;
      if (state >= 0 || state === BATCH) this.#free(i);
    }
    for (let slot = 0; slot < LEVELS * SLOTS; slot++) this.#slots.clear(slot);
    this.#batchLeft = 0;
  }

  // --- insertion ---

  #add(name: string, delayMs: number, intervalMs: number, callback: AnyCallback, arg: unknown): TimerHandle {
    if (typeof callback !== 'function') throw new TypeError('timer callback must be a function');
    if (this.#closed) throw new Error('timer wheel is closed');
    // Callers reuse a handful of names: one string comparison usually replaces the map lookup.
    let nameId = this.#lastNameId;
    if (name !== this.#lastName) {
      nameId = this.#stats.idOf(name);
      this.#lastName = name;
      this.#lastNameId = nameId;
    }
    const records = this.#records;
    const i = records.alloc();
    const now = this.#clock.now();
    records.f64[(i << 2) + DUE] = now + delayMs;
    records.f64[(i << 2) + SEQ] = ++this.#seq;
    const i32 = records.i32;
    i32[(i << 3) + INTERVAL] = intervalMs;
    const tag = (i32[(i << 3) + TAG]! & 0xffff0000) | nameId;
    i32[(i << 3) + TAG] = tag;
    const refs = records.refs[i >>> REFS_BITS]!;
    refs[2 * (i & REFS_MASK)] = callback;
    refs[2 * (i & REFS_MASK) + 1] = arg;
    this.#live++;
    this.#scheduled++;
    this.#stats.created(nameId);
    this.#insert(i, now);
    return ((tag >>> 16) << INDEX_BITS) | i;
  }

  /** Place timer `i` (unlinked, due time set) from outside or inside a tick, arming if needed. */
  #insert(i: number, now: number): void {
    if (this.#inAdvance) {
      this.#place(i, this.#cur + 1);
      return;
    }
    // Nothing is due before #armedTick, so the current tick may catch up with the clock; that
    // keeps distances short and timers on low levels.
    const t = Math.floor(now);
    if (t > this.#cur && t < this.#armedTick) this.#cur = t;
    const entry = this.#place(i, this.#cur + 1);
    if (entry < this.#armedTick) {
      this.#armedTick = entry;
      this.#clock.arm(this.#drive, entry - now);
    }
  }

  /** List timer `i` in the slot for its due tick (at least `minTick`); returns the slot's entry tick. */
  #place(i: number, minTick: number): number {
    const when = Math.ceil(this.#records.f64[(i << 2) + DUE]!);
    return this.#placeAt(i, when < minTick ? minTick : when);
  }

  /** List timer `i` in the slot for tick `when` (> #cur, or = #cur when cascading). */
  #placeAt(i: number, when: number): number {
    const delta = when - this.#cur;
    // `when` may exceed 2^32; the bit operators read its low 32 bits, which is what digits use.
    let slot: number;
    let entry: number;
    if (delta < 0x100) {
      slot = when & 0xff;
      entry = when;
    } else if (delta < 0x10000) {
      slot = SLOTS + ((when >>> 8) & 0xff);
      entry = when - (when & 0xff);
    } else if (delta < 0x1000000) {
      slot = 2 * SLOTS + ((when >>> 16) & 0xff);
      entry = when - (when & 0xffff);
    } else {
      slot = 3 * SLOTS + (when >>> 24);
      entry = when - (when & 0xffffff);
    }
    const pos = this.#slots.append(slot, i);
    const i32 = this.#records.i32;
    i32[(i << 3) + STATE] = slot;
    i32[(i << 3) + POS] = pos;
    return entry;
  }

  /** Take timer `i` out of its slot, or out of the batch being fired. */
  #unlink(i: number, state: number): void {
    const i32 = this.#records.i32;
    const pos = i32[(i << 3) + POS]!;
    if (state === BATCH) {
      this.#slots.lists[this.#firingSlot]![pos] = NONE;
      this.#batchLeft--;
      return;
    }
    const moved = this.#slots.removeAt(state, pos);
    if (moved !== NONE) i32[(moved << 3) + POS] = pos;
  }

  /** Timer number of a live handle, or NONE. */
  #numberOf(handle: TimerHandle): number {
    const i = handle & INDEX_MASK;
    if (i >= this.#records.highWater) return NONE;
    const i32 = this.#records.i32;
    if (i32[(i << 3) + TAG]! >>> 16 !== ((handle >>> INDEX_BITS) & GEN_MAX)) return NONE;
    return i32[(i << 3) + STATE] === FREE ? NONE : i;
  }

  #free(i: number): void {
    this.#stats.released(this.#records.i32[(i << 3) + TAG]! & 0xffff);
    this.#records.release(i);
    this.#live--;
    // The wake stays armed when the last timer goes: schedule-then-cancel in a loop would
    // otherwise pay a setTimeout and a clearTimeout per pair. A wake finding nothing arms nothing.
  }

  // --- the driver ---

  /** Process every slot entry up to the clock, in tick order, then sleep until the next one. */
  #advance(now: number): void {
    if (this.#closed) return;
    const target = Math.floor(now);
    this.#inAdvance = true;
    let next = this.#nextEntry();
    while (next <= target && !this.#closed) {
      this.#processTick(next);
      next = this.#nextEntry();
    }
    // No slot is entered in (#cur, target]: skipping there changes no timer's next entry.
    if (target > this.#cur) this.#cur = target;
    this.#inAdvance = false;
    if (this.#closed || next === Infinity) return;
    this.#armedTick = next;
    this.#clock.arm(this.#drive, next - this.#clock.now());
  }

  #processTick(tick: number): void {
    this.#cur = tick;
    // Highest level first: a timer may come down several levels within one tick.
    if ((tick & 0xffffff) === 0) this.#cascade(3 * SLOTS + (tick >>> 24), tick);
    if ((tick & 0xffff) === 0) this.#cascade(2 * SLOTS + ((tick >>> 16) & 0xff), tick);
    if ((tick & 0xff) === 0) this.#cascade(SLOTS + ((tick >>> 8) & 0xff), tick);
    this.#fire(tick & 0xff);
  }

  #cascade(slot: number, tick: number): void {
    const n = this.#slots.lengths[slot]!;
    if (n === 0) return;
    // Every timer goes at least one level down, never back into `slot`, so the list is stable.
    const list = this.#slots.lists[slot]!;
    this.#slots.clear(slot);
    // First read every due time (independent loads: their cache misses overlap), then place.
    let whens = this.#scratch;
    if (whens.length < n) this.#scratch = whens = new Float64Array(Math.max(n, 2 * whens.length));
    const f64 = this.#records.f64;
    for (let k = 0; k < n; k++) whens[k] = f64[(list[k]! << 2) + DUE]!;
    for (let k = 0; k < n; k++) this.#placeAt(list[k]!, Math.max(Math.ceil(whens[k]!), tick));
  }

  /** Run level-0 slot `slot`, entered at tick #cur. Callbacks may add, cancel or move any timer. */
  #fire(slot: number): void {
    const n = this.#slots.lengths[slot]!;
    if (n === 0) return;
    const list = this.#slots.lists[slot]!;
    this.#orderBatch(list, n);
    this.#firingSlot = slot;
    this.#batchLeft = n;
    const clock = this.#clock;
    const stats = this.#stats;
    const records = this.#records;
    // One clock read per callback: the end of one callback is the start of the next.
    let start = clock.now();
    for (let j = 0; j < n && !this.#closed; j++) {
      const i = list[j]!;
      if (i === NONE) continue; // cancelled or moved by an earlier callback of this batch
      this.#batchLeft--;
      // Re-read the views each time: a callback may have grown the tables, which leaves the old
      // views empty (the buffer grows in place; see records.ts).
      const f64 = records.f64;
      const i32 = records.i32;
      const due = f64[(i << 2) + DUE]!;
      if (due > start) {
        // Not reachable while the clock is monotonic; kept so the never-early rule holds anyway.
        this.#place(i, this.#cur + 1);
        continue;
      }
      const tag = i32[(i << 3) + TAG]!;
      const nameId = tag & 0xffff;
      const refs = records.refs[i >>> REFS_BITS]!;
      const callback = refs[2 * (i & REFS_MASK)] as AnyCallback;
      const arg = refs[2 * (i & REFS_MASK) + 1];
      const interval = i32[(i << 3) + INTERVAL]!;
      if (interval > 0) {
        // Re-listed before the callback runs, so the callback can cancel or move it.
        let next = due + interval;
        if (next <= start) {
          next = due + (Math.floor((start - due) / interval) + 1) * interval;
          while (next <= start) next += interval;
        }
        f64[(i << 2) + DUE] = next;
        f64[(i << 2) + SEQ] = ++this.#seq;
        this.#place(i, this.#cur + 1);
      } else {
        i32[(i << 3) + STATE] = RUNNING;
      }
      this.#running++;
      this.#runningName = nameId;
      try {
        const result = callback(arg, ((tag >>> 16) << INDEX_BITS) | i);
        if (result !== undefined && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
          this.#watch(result as PromiseLike<unknown>, nameId);
        }
      } catch (error) {
        this.#failed(nameId, error);
      }
      this.#running--;
      this.#runningName = NONE;
      const end = clock.now();
      stats.record(nameId, end - start, start - due);
      start = end;
      // Free a one-shot unless its callback rescheduled it (state changed) or cancelled it and
      // the number went to a new timer (tag changed).
      if (interval === 0) {
        const now32 = records.i32;
        if (now32[(i << 3) + STATE] === RUNNING && now32[(i << 3) + TAG] === tag) this.#free(i);
      }
    }
    this.#slots.clear(slot);
    this.#firingSlot = NONE;
    this.#batchLeft = 0;
  }

  /**
   * Put a slot's timers in scheduling order (removals swap entries, cascades append) and mark
   * them as the batch being fired, so a callback cancelling one of them only blanks its entry.
   */
  #orderBatch(list: Int32Array, n: number): void {
    const f64 = this.#records.f64;
    let last = -Infinity;
    for (let j = 0; j < n; j++) {
      const seq = f64[(list[j]! << 2) + SEQ]!;
      if (seq < last) {
        this.#sort(list, n);
        break;
      }
      last = seq;
    }
    const i32 = this.#records.i32;
    const refs = this.#records.refs;
    let present = 0;
    for (let j = 0; j < n; j++) {
      const i = list[j]!;
      i32[(i << 3) + STATE] = BATCH;
      i32[(i << 3) + POS] = j;
      // Load every callback now, all at once: their cache misses overlap here instead of
      // stalling the firing loop one by one (about 2x fewer cycles per fired timer).
      if (refs[i >>> REFS_BITS]![2 * (i & REFS_MASK)] !== undefined) present++;
    }
    prefetched.count = present; // a use, so the loads above are not optimised away
  }

  #sort(list: Int32Array, n: number): void {
    if (n > 32) {
      list.subarray(0, n).sort(this.#bySeq);
      return;
    }
    const f64 = this.#records.f64;
    for (let j = 1; j < n; j++) {
      const i = list[j]!;
      const seq = f64[(i << 2) + SEQ]!;
      let k = j - 1;
      while (k >= 0 && f64[(list[k]! << 2) + SEQ]! > seq) {
        list[k + 1] = list[k]!;
        k--;
      }
      list[k + 1] = i;
    }
  }

  /** The next tick at which an occupied slot is entered, or Infinity. */
  #nextEntry(): number {
    const bits = this.#slots.occupied;
    const cur = this.#cur;
    let best = Infinity;
    const d0 = cur & 0xff;
    const j0 = nextOccupied(bits, 0, (d0 + 1) & 0xff);
    if (j0 !== NONE) best = cur + (((j0 - d0 - 1) & 0xff) + 1);
    let span = SLOTS;
    for (let level = 1; level < LEVELS; level++) {
      // Level `level` is entered only at multiples of `span`, the first of them after `base`.
      const base = cur - (cur % span);
      if (best <= base + span) break;
      const d = (cur >>> (8 * level)) & 0xff;
      const j = nextOccupied(bits, level, (d + 1) & 0xff);
      if (j !== NONE) {
        const entry = base + span * (((j - d - 1) & 0xff) + 1);
        if (entry < best) best = entry;
      }
      span *= SLOTS;
    }
    return best;
  }

  // --- errors ---

  #watch(promise: PromiseLike<unknown>, nameId: number): void {
    promise.then(undefined, (error: unknown) => this.#failed(nameId, error));
  }

  #failed(nameId: number, error: unknown): void {
    this.#stats.failed(nameId, error, Date.now());
    try {
      this.#onError(error, this.#stats.nameOf(nameId));
    } catch {
      // A failing logger must not stop the wheel; the error is already counted.
    }
  }
}

function logToStderr(error: unknown, timerName: string): void {
  console.error(`[sluice] timer "${timerName}" failed:`, error);
}
