// Runs on a worker thread: the time source and the single wake-up of one timer wheel.
// The wheel never reads time or arms timers any other way, so tests drive it fully with a manual clock.
// The module binding skips the global `performance` accessor on every read (a few ns per timer).
import { performance } from 'node:perf_hooks';

/** What a wheel needs from time. `now()` is monotonic milliseconds (fractions allowed). */
export interface TimerClock {
  now(): number;
  /** Replace any pending wake with one that calls `fire` after about `delayMs` (>= 0). */
  arm(fire: () => void, delayMs: number): void;
  /** Cancel the pending wake, if any. */
  disarm(): void;
}

// setTimeout clamps anything above this to 1 ms; the wheel wakes early and re-arms instead.
const MAX_ARM_MS = 2 ** 31 - 1;

/**
 * performance.now() plus one unref'd setTimeout: the wheel's driver never keeps the thread alive
 * (the worker's listener does). Node may wake a timer up to ~1 ms early against performance.now()
 * (it measures from libuv's cached loop time); the wheel compares against due times, so an early
 * wake only costs a re-arm.
 */
export class SystemClock implements TimerClock {
  #timeout: NodeJS.Timeout | undefined = undefined;

  now(): number {
    return performance.now();
  }

  arm(fire: () => void, delayMs: number): void {
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    const ms = delayMs < 1 ? 1 : delayMs > MAX_ARM_MS ? MAX_ARM_MS : Math.ceil(delayMs);
    this.#timeout = setTimeout(fire, ms);
    this.#timeout.unref();
  }

  disarm(): void {
    if (this.#timeout !== undefined) {
      clearTimeout(this.#timeout);
      this.#timeout = undefined;
    }
  }
}
