// Layout and access protocol of the SharedArrayBuffer that holds per-target upstream state, shared
// by the primary and every worker (both threads import this file). One slot per (upstream, target):
// the in-flight request count (least-connections picks on the whole process's load, not one
// worker's), the health state and the health counters (active probes from the primary and passive
// outcomes from every worker feed one state machine, as Kong's healthchecker does per node).
//
// Slots are assigned by the primary alone (runtime/health/slots.ts) before a config reaches the
// workers, and published in a directory: an open-addressed table from the key's 64-bit digest to
// the slot number. The primary is the directory's only writer; workers only read it, when they build
// a balancer (never per request). A key keeps its slot across reconfigures that keep the target, so
// health survives them.
//
// Layout (Int32 words):
//   header   [MAGIC, capacity, directory size, slots in use, refused assignments]
//   slots    capacity x SLOT_WORDS: [in-flight, state, successes, tcp failures, timeouts,
//            http failures, flips, reserved]
//   directory  size x 3: [digest high, digest low, slot + 1]   (0 = empty, -1 = deleted)
import { createHash } from 'node:crypto';

const MAGIC = 0x53555031; // "SUP1"
const HEADER_WORDS = 8;
const W_CAPACITY = 1;
const W_DIRECTORY = 2;
const W_USED = 3;
const W_REFUSED = 4;
export const SLOT_WORDS = 8;
const INFLIGHT = 0;
const STATE = 1;
const SUCCESSES = 2;
const FLIPS = 6;
const DIR_WORDS = 3;
const EMPTY = 0;
const DELETED = -1;

export const HEALTHY = 0;
export const UNHEALTHY = 1;

/** The failure kinds Kong's healthchecker counts, each with its own threshold. */
export const FAILURE = { tcp: 3, timeout: 4, http: 5 } as const;
export type FailureKind = keyof typeof FAILURE;

export const DEFAULT_TARGET_SLOTS = 16_384;

export function createUpstreamMemory(capacity: number = DEFAULT_TARGET_SLOTS): SharedArrayBuffer {
  let directory = 16;
  while (directory < capacity * 2) directory *= 2;
  const words = HEADER_WORDS + capacity * SLOT_WORDS + directory * DIR_WORDS;
  const buffer = new SharedArrayBuffer(words * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(buffer);
  view[0] = MAGIC;
  view[W_CAPACITY] = capacity;
  view[W_DIRECTORY] = directory;
  return buffer;
}

/** The key of one target of one upstream: a reconfigure that keeps both keeps the slot. */
export function targetKey(upstreamId: string, target: string): string {
  return `${upstreamId} ${target}`;
}

/** 64-bit digest of a key as two int32 (neither pair is all zero: zero marks an empty entry). */
export function keyDigest(key: string): [number, number] {
  const digest = createHash('md5').update(key).digest();
  const hi = digest.readInt32LE(0);
  const lo = digest.readInt32LE(4);
  return hi === 0 && lo === 0 ? [1, 1] : [hi, lo];
}

export class UpstreamMemory {
  readonly view: Int32Array;
  readonly capacity: number;
  readonly #dirBase: number;
  readonly #dirMask: number;

  constructor(buffer: SharedArrayBuffer) {
    const view = new Int32Array(buffer);
    if (view[0] !== MAGIC) throw new TypeError('not an upstream memory buffer (use createUpstreamMemory)');
    this.view = view;
    this.capacity = view[W_CAPACITY]!;
    this.#dirBase = HEADER_WORDS + this.capacity * SLOT_WORDS;
    this.#dirMask = view[W_DIRECTORY]! - 1;
  }

  /** Slots assigned now (all upstreams). */
  get used(): number {
    return Atomics.load(this.view, W_USED);
  }

  /** Assignments refused because every slot was taken (those targets count per worker only). */
  get refused(): number {
    return Atomics.load(this.view, W_REFUSED);
  }

  /** The slot of `key`, or -1 when the primary assigned it none. Not for the request path. */
  find(key: string): number {
    const [hi, lo] = keyDigest(key);
    const at = this.#locate(hi, lo);
    return at === -1 ? -1 : Atomics.load(this.view, at + 2) - 1;
  }

  /** Word index of the directory entry of (hi, lo), or -1. */
  #locate(hi: number, lo: number): number {
    const view = this.view;
    let index = lo & this.#dirMask;
    for (let probes = 0; probes <= this.#dirMask; probes++) {
      const at = this.#dirBase + index * DIR_WORDS;
      const slot = Atomics.load(view, at + 2);
      if (slot === EMPTY) return -1;
      if (slot !== DELETED && Atomics.load(view, at) === hi && Atomics.load(view, at + 1) === lo) return at;
      index = (index + 1) & this.#dirMask;
    }
    return -1;
  }

  // ---- primary only: the directory's single writer --------------------------------------------

  /** Publishes `key` → `slot` with the slot's state reset (primary only). */
  publish(key: string, slot: number): boolean {
    const [hi, lo] = keyDigest(key);
    const view = this.view;
    this.resetSlot(slot, HEALTHY);
    let index = lo & this.#dirMask;
    for (let probes = 0; probes <= this.#dirMask; probes++) {
      const at = this.#dirBase + index * DIR_WORDS;
      const seen = Atomics.load(view, at + 2);
      if (seen === EMPTY || seen === DELETED) {
        // Digest first, slot last: a reader that sees the slot sees the digest it belongs to.
        Atomics.store(view, at, hi);
        Atomics.store(view, at + 1, lo);
        Atomics.store(view, at + 2, slot + 1);
        Atomics.add(view, W_USED, 1);
        return true;
      }
      index = (index + 1) & this.#dirMask;
    }
    return false;
  }

  /** Removes `key` from the directory (primary only). The slot itself is freed by the caller. */
  unpublish(key: string): void {
    const [hi, lo] = keyDigest(key);
    const at = this.#locate(hi, lo);
    if (at === -1) return;
    Atomics.store(this.view, at + 2, DELETED);
    Atomics.sub(this.view, W_USED, 1);
  }

  countRefused(): void {
    Atomics.add(this.view, W_REFUSED, 1);
  }

  // ---- any thread -------------------------------------------------------------------------------

  resetSlot(slot: number, state: number): void {
    const base = HEADER_WORDS + slot * SLOT_WORDS;
    for (let i = SUCCESSES; i < FLIPS; i++) Atomics.store(this.view, base + i, 0);
    if (Atomics.exchange(this.view, base + STATE, state) !== state) Atomics.add(this.view, base + FLIPS, 1);
  }

  inFlight(slot: number): number {
    return Atomics.load(this.view, HEADER_WORDS + slot * SLOT_WORDS + INFLIGHT);
  }

  acquire(slot: number): void {
    Atomics.add(this.view, HEADER_WORDS + slot * SLOT_WORDS + INFLIGHT, 1);
  }

  /** Never below zero: a request that outlived its slot's reassignment must not skew the next owner. */
  release(slot: number): void {
    const at = HEADER_WORDS + slot * SLOT_WORDS + INFLIGHT;
    const view = this.view;
    for (;;) {
      const seen = Atomics.load(view, at);
      if (seen <= 0 || Atomics.compareExchange(view, at, seen, seen - 1) === seen) return;
    }
  }

  healthy(slot: number): boolean {
    return Atomics.load(this.view, HEADER_WORDS + slot * SLOT_WORDS + STATE) === HEALTHY;
  }

  /** How many times the slot's health flipped: lets a test or a bench see a change land. */
  flips(slot: number): number {
    return Atomics.load(this.view, HEADER_WORDS + slot * SLOT_WORDS + FLIPS);
  }

  counter(slot: number, kind: FailureKind | 'successes'): number {
    return Atomics.load(this.view, HEADER_WORDS + slot * SLOT_WORDS + (kind === 'successes' ? SUCCESSES : FAILURE[kind]));
  }

  /**
   * A successful check or request. The failure counters restart; an unhealthy target turns healthy
   * after `threshold` consecutive successes (0: successes never turn it healthy). True on a flip.
   */
  success(slot: number, threshold: number): boolean {
    const base = HEADER_WORDS + slot * SLOT_WORDS;
    const view = this.view;
    for (const kind of [FAILURE.tcp, FAILURE.timeout, FAILURE.http]) if (Atomics.load(view, base + kind) !== 0) Atomics.store(view, base + kind, 0);
    if (Atomics.load(view, base + STATE) === HEALTHY || threshold <= 0) return false;
    if (Atomics.add(view, base + SUCCESSES, 1) + 1 < threshold) return false;
    return this.#flip(base, UNHEALTHY, HEALTHY);
  }

  /**
   * A failed check or request of one kind. Successes restart; a healthy target turns unhealthy after
   * `threshold` consecutive failures of that kind (0: that kind never does). True on a flip.
   */
  failure(slot: number, kind: FailureKind, threshold: number): boolean {
    const base = HEADER_WORDS + slot * SLOT_WORDS;
    const view = this.view;
    if (Atomics.load(view, base + SUCCESSES) !== 0) Atomics.store(view, base + SUCCESSES, 0);
    if (Atomics.load(view, base + STATE) === UNHEALTHY || threshold <= 0) return false;
    if (Atomics.add(view, base + FAILURE[kind], 1) + 1 < threshold) return false;
    return this.#flip(base, HEALTHY, UNHEALTHY);
  }

  /** One thread wins a flip; the counters restart for the new state. */
  #flip(base: number, from: number, to: number): boolean {
    if (Atomics.compareExchange(this.view, base + STATE, from, to) !== from) return false;
    for (let i = SUCCESSES; i < FLIPS; i++) Atomics.store(this.view, base + i, 0);
    Atomics.add(this.view, base + FLIPS, 1);
    return true;
  }
}
