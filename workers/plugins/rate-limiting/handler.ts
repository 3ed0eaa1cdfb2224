// Runs on a worker thread: rate-limiting, as Kong 3.x's handler.lua behaves with `policy: local`,
// except that the count is exact across every worker thread of the node: counters live in the
// SharedArrayBuffer of runtime/protocol/counters.ts, not in the worker.
//
// Kong reads the usage, refuses when any window's usage has reached its limit, and otherwise adds
// one in a timer after the request; concurrent requests may all pass the read. Here the hit is
// counted first (one Atomics.add per window) and taken back when the request is refused, so at
// most `limit` requests pass per window, whatever the concurrency, and refused requests do not count.
// Counters are keyed by plugin id + identifier: they survive every reconfigure that keeps the
// plugin (even one that edits its limits, as Kong's keys by scope survive), and end with their
// window (see counters.ts: no timer, no sweep).
import { COUNTER_PERIODS, SharedCounters, windowToken } from '../../../runtime/protocol/counters.ts';
import type { Plugin } from '../../../config/types.ts';
import type { RequestContext } from '../../proxy/context.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';
import { definePlugin } from '../define.ts';
import { KeyHash } from './key-hash.ts';
import { schema, WINDOWS, type Config } from '../../../config/plugins/rate-limiting.ts';
import { PERIOD_SECONDS, WindowClock } from './windows.ts';

/** Decimal text of 0..SMALL_MAX, made once: header values without a number-to-string per request. */
const SMALL_MAX = 1024;
const SMALL: readonly string[] = Array.from({ length: SMALL_MAX + 1 }, (_, i) => String(i));

function decimal(n: number): string {
  return n <= SMALL_MAX ? SMALL[n]! : String(n);
}

const INTERNAL_ERROR = Object.freeze({ message: 'An unexpected error occurred' });

const LIMIT_BY_CONSUMER = 0;
const LIMIT_BY_CREDENTIAL = 1;
const LIMIT_BY_IP = 2;
const LIMIT_BY_SERVICE = 3;
const LIMIT_BY_HEADER = 4;
const LIMIT_BY_PATH = 5;
const LIMIT_BY: Record<Config['limit_by'], number> = {
  consumer: LIMIT_BY_CONSUMER,
  credential: LIMIT_BY_CREDENTIAL,
  ip: LIMIT_BY_IP,
  service: LIMIT_BY_SERVICE,
  header: LIMIT_BY_HEADER,
  path: LIMIT_BY_PATH,
};

class RateLimiting implements PluginInstance {
  readonly #config: Config;
  readonly #env: PluginEnv;
  readonly #counters: SharedCounters;
  readonly #limitBy: number;
  readonly #header: string;
  /** The plugin id, hashed once: every key continues from it. */
  readonly #seed = new KeyHash();
  readonly #hash = new KeyHash();
  readonly #clock = new WindowClock();
  // Configured windows only, shortest first; all arrays below are indexed alike.
  readonly #periods: number[] = [];
  readonly #limits: number[] = [];
  readonly #limitText: string[] = [];
  readonly #limitHeaders: string[] = [];
  readonly #remainingHeaders: string[] = [];
  // Per-request scratch: access is synchronous, so one set per instance is enough.
  readonly #tokens: number[] = [];
  readonly #starts: number[] = [];
  readonly #slots: number[] = [];
  readonly #counts: number[] = [];

  constructor(config: Config, env: PluginEnv, plugin: Readonly<Plugin>) {
    this.#config = config;
    this.#env = env;
    this.#counters = new SharedCounters(env.counters);
    this.#limitBy = LIMIT_BY[config.limit_by];
    this.#header = (config.header_name ?? '').toLowerCase();
    this.#seed.update(null, plugin.id);
    for (const window of WINDOWS) {
      const limit = config[window];
      if (limit === null) continue;
      const title = window[0]!.toUpperCase() + window.slice(1);
      this.#periods.push(COUNTER_PERIODS.indexOf(window));
      this.#limits.push(limit);
      this.#limitText.push(String(limit));
      this.#limitHeaders.push(`X-RateLimit-Limit-${title}`);
      this.#remainingHeaders.push(`X-RateLimit-Remaining-${title}`);
      this.#tokens.push(0);
      this.#starts.push(0);
      this.#slots.push(0);
      this.#counts.push(0);
    }
  }

  access(ctx: RequestContext): void {
    const now = Date.now();
    this.#hash.update(this.#seed, this.#identifier(ctx));
    const { hi, lo } = this.#hash;
    const counters = this.#counters;
    const n = this.#periods.length;
    let exceeded = false;
    for (let i = 0; i < n; i++) {
      const period = this.#periods[i]!;
      const start = this.#clock.start(period, now);
      const token = windowToken(start);
      const count = counters.increment(period, token, hi, lo);
      if (count === -1) {
        this.#undo(i);
        this.#tableFull(ctx, now);
        return;
      }
      this.#tokens[i] = token;
      this.#starts[i] = start;
      this.#slots[i] = counters.lastSlot;
      this.#counts[i] = count;
      // Kong refuses once the usage before this request has reached the limit.
      if (count - 1 >= this.#limits[i]!) exceeded = true;
    }
    if (exceeded) this.#undo(n);

    // Kong's headers: per window, and for RateLimit-* the window with the fewest requests left
    // (ties: the longer window), whose reset is also Retry-After.
    const hide = this.#config.hide_client_headers;
    let best = -1;
    let bestRemaining = 0;
    for (let i = 0; i < n; i++) {
      const count = this.#counts[i]!;
      const limit = this.#limits[i]!;
      // `count` includes this request; when it is refused it does not count, except against the
      // window that refused it (Kong shows 0 left there).
      const remaining = Math.max(0, exceeded && count - 1 < limit ? limit - count + 1 : limit - count);
      if (best === -1 || remaining < bestRemaining || (remaining === bestRemaining && PERIOD_SECONDS[this.#periods[i]!]! > PERIOD_SECONDS[this.#periods[best]!]!)) {
        best = i;
        bestRemaining = remaining;
      }
      if (!hide) {
        ctx.addResponseHeader(this.#limitHeaders[i]!, this.#limitText[i]!);
        ctx.addResponseHeader(this.#remainingHeaders[i]!, decimal(remaining));
      }
    }
    const window = PERIOD_SECONDS[this.#periods[best]!]!;
    const reset = decimal(Math.max(1, window - Math.floor((now - this.#starts[best]!) / 1000)));
    if (!hide) {
      ctx.addResponseHeader('RateLimit-Limit', this.#limitText[best]!);
      ctx.addResponseHeader('RateLimit-Remaining', decimal(bestRemaining));
      ctx.addResponseHeader('RateLimit-Reset', reset);
    }
    if (exceeded) {
      // Kong omits Retry-After along with the other headers under hide_client_headers; a client
      // told 429 needs to know when to come back, so Sluice always sends it.
      ctx.exit(this.#config.error_code, { message: this.#config.error_message }, { 'Retry-After': reset });
    }
  }

  /** Kong's get_identifier: the configured key, falling back to the client IP when it is absent. */
  #identifier(ctx: RequestContext): string {
    switch (this.#limitBy) {
      case LIMIT_BY_CONSUMER:
        return ctx.consumer?.id ?? ctx.credential?.id ?? ctx.clientIp;
      case LIMIT_BY_CREDENTIAL:
        return ctx.credential?.id ?? ctx.clientIp;
      case LIMIT_BY_SERVICE:
        return ctx.service?.id ?? ctx.clientIp;
      case LIMIT_BY_HEADER: {
        const value = ctx.req.headers[this.#header];
        return typeof value === 'string' ? value : ctx.clientIp;
      }
      case LIMIT_BY_PATH: {
        const path = ctx.match?.path ?? requestPath(ctx);
        return path === this.#config.path ? path : ctx.clientIp;
      }
      default:
        return ctx.clientIp;
    }
  }

  /** Takes back the hits counted in the first `n` windows. */
  #undo(n: number): void {
    for (let i = 0; i < n; i++) this.#counters.decrement(this.#slots[i]!, this.#tokens[i]!);
  }

  /**
   * No slot for this key (counters.ts: the table is full even after ended windows were reclaimed).
   * Kong's handler.lua treats a policy that cannot give the usage this way: with `fault_tolerant`
   * (Kong's default) it logs and lets the request through uncounted, else it answers 500 "An
   * unexpected error occurred". The refusal is counted in the shared memory (the primary exports it
   * as sluice_rate_limiting_table_full_total) and warned about once a second across all workers.
   */
  #tableFull(ctx: RequestContext, now: number): void {
    const counters = this.#counters;
    if (counters.claimWarning(now)) {
      this.#env.log.warn(
        { plugin: 'rate-limiting', slots_per_period: counters.slotsPerPeriod, refused: counters.refused, fault_tolerant: this.#config.fault_tolerant },
        this.#config.fault_tolerant
          ? 'rate-limiting: shared counter table is full; requests of new keys pass uncounted (fault_tolerant), raise --rate-limit-slots'
          : 'rate-limiting: shared counter table is full; requests of new keys are answered 500 (fault_tolerant off), raise --rate-limit-slots',
      );
    }
    if (!this.#config.fault_tolerant) ctx.exit(500, INTERNAL_ERROR);
  }
}

function requestPath(ctx: RequestContext): string {
  const url = ctx.req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export default definePlugin<Config>(schema, RateLimiting);
