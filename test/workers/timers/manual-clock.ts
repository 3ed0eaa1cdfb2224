// Test helper: a TimerClock whose time moves only when a test says so. Runs in the test process,
// standing in for the worker thread's performance.now() and setTimeout.
import type { TimerClock } from '../../../workers/timers/clock.ts';

export class ManualClock implements TimerClock {
  #now: number;
  #fire: (() => void) | undefined = undefined;
  #deadline = Infinity;
  arms = 0;
  disarms = 0;
  wakes = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  arm(fire: () => void, delayMs: number): void {
    this.arms++;
    this.#fire = fire;
    this.#deadline = this.#now + Math.max(0, delayMs);
  }

  disarm(): void {
    this.disarms++;
    this.#fire = undefined;
    this.#deadline = Infinity;
  }

  get armed(): boolean {
    return this.#fire !== undefined;
  }

  get deadline(): number {
    return this.#deadline;
  }

  /** Time passing inside a callback: no wake. */
  spend(ms: number): void {
    this.#now += ms;
  }

  /** A perfect timer: stop at each armed deadline up to now + ms and wake there. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (let guard = 0; this.#deadline <= target; guard++) {
      if (guard > 1e7) throw new Error('wheel keeps re-arming without progress');
      this.#now = Math.max(this.#now, this.#deadline);
      this.#wake();
    }
    this.#now = Math.max(this.#now, target);
  }

  /** A blocked event loop: time jumps to now + ms, then the overdue wake runs once (or more). */
  jump(ms: number): void {
    this.#now += ms;
    for (let guard = 0; this.#deadline <= this.#now; guard++) {
      if (guard > 1e7) throw new Error('wheel keeps re-arming without progress');
      this.#wake();
    }
  }

  /** Jump to the armed deadline and wake; false when nothing is armed. */
  runNext(): boolean {
    if (this.#fire === undefined) return false;
    this.#now = Math.max(this.#now, this.#deadline);
    this.#wake();
    return true;
  }

  /** setTimeout firing before its time (Node measures from a cached loop time): wake now. */
  wakeEarly(): void {
    this.#wake();
  }

  #wake(): void {
    const fire = this.#fire;
    this.#fire = undefined;
    this.#deadline = Infinity;
    this.wakes++;
    fire?.();
  }
}
