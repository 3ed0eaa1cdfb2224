// Runs on a worker thread: fixed rate-limiting windows, as Kong's `timestamp.get_timestamps`
// computes them: second, minute, hour and day are aligned on UTC epoch multiples; month and year
// start on the first of the UTC month / year. Window starts are cached per period and recomputed
// only when `now` leaves the cached window, so the request path does no Date arithmetic.
import { COUNTER_PERIODS } from '../../../runtime/protocol/counters.ts';

/**
 * Kong's EXPIRATION table (seconds per window), used for RateLimit-Reset / Retry-After. Kong uses a
 * 30-day month and a 365-day year there, whatever the calendar says; so does Sluice.
 */
export const PERIOD_SECONDS: readonly number[] = [1, 60, 3600, 86_400, 2_592_000, 31_536_000];

const MONTH = COUNTER_PERIODS.indexOf('month');
const YEAR = COUNTER_PERIODS.indexOf('year');

export class WindowClock {
  readonly #start = new Float64Array(COUNTER_PERIODS.length);
  readonly #end = new Float64Array(COUNTER_PERIODS.length);

  /** Start (epoch ms) of the window of `period` (index into COUNTER_PERIODS) that holds `now`. */
  start(period: number, now: number): number {
    if (now >= this.#start[period]! && now < this.#end[period]!) return this.#start[period]!;
    let start: number;
    let end: number;
    if (period === MONTH || period === YEAR) {
      const date = new Date(now);
      const year = date.getUTCFullYear();
      if (period === MONTH) {
        start = Date.UTC(year, date.getUTCMonth(), 1);
        end = Date.UTC(year, date.getUTCMonth() + 1, 1);
      } else {
        start = Date.UTC(year, 0, 1);
        end = Date.UTC(year + 1, 0, 1);
      }
    } else {
      const size = PERIOD_SECONDS[period]! * 1000;
      start = now - (now % size);
      end = start + size;
    }
    this.#start[period] = start;
    this.#end[period] = end;
    return start;
  }
}
