// Runs on a worker thread: response-ratelimiting, as Kong 3.x's handler behaves with
// `policy: local`, counted exactly across every worker of the node in the shared counter table of
// rate-limiting (runtime/protocol/counters.ts; keys carry this plugin's id and the limit name, so
// the two plugins never share a count).
//   access: each limit's usage is read; with `block_on_first_violation` a limit with nothing left
//     in some window answers 429 "API rate limit exceeded for '<name>'"; else the upstream gets
//     X-RateLimit-Remaining-<name> (the fewest left across its windows).
//   header_filter: the upstream's `header_name` header (`video=1, image=2`) says how much this
//     response costs per limit; it is removed, X-RateLimit-Limit/Remaining-<name>-<window> are
//     added (unless hide_client_headers), and when a costed limit had nothing left the answer
//     becomes 429 with no body and those headers (the upstream's body and other headers dropped).
//   log: the costs are added to the counters (not for a response turned into 429).
import { COUNTER_PERIODS, SharedCounters, windowToken } from '../../../runtime/protocol/counters.ts';
import type { Plugin } from '../../../config/types.ts';
import { PERIODS, schema, type Config } from '../../../config/plugins/response-ratelimiting.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginEnv, PluginInstance, UpstreamResponse } from '../types.ts';
import { KeyHash } from '../rate-limiting/key-hash.ts';
import { WindowClock } from '../rate-limiting/windows.ts';

/** One configured limit name and its windows (shortest first); arrays indexed alike. */
interface LimitSpec {
  name: string;
  /** The plugin id and limit name, hashed once: every key continues from it. */
  seed: KeyHash;
  periods: number[];
  limits: number[];
  limitText: string[];
  limitHeaders: string[];
  remainingHeaders: string[];
  /** X-RateLimit-Remaining-<name>, on the upstream request. */
  upstreamHeader: string;
}

/** What access saw, for header_filter and log. */
class Usage {
  readonly identifier: string;
  readonly now: number;
  /** remaining[limit][window], as read in access. */
  readonly remaining: number[][];
  /** What the upstream said each limit costs (NaN: nothing). */
  readonly costs: number[];
  stopped = false;

  constructor(identifier: string, now: number, remaining: number[][], limitCount: number) {
    this.identifier = identifier;
    this.now = now;
    this.remaining = remaining;
    this.costs = new Array<number>(limitCount).fill(Number.NaN);
  }
}

class ResponseRateLimiting implements PluginInstance {
  readonly #config: Config;
  readonly #env: PluginEnv;
  readonly #counters: SharedCounters;
  readonly #specs: LimitSpec[] = [];
  readonly #byName = new Map<string, number>();
  readonly #header: string;
  readonly #hash = new KeyHash();
  readonly #clock = new WindowClock();
  /**
   * Where this config keeps its per-request Usage: a key of `ctx.shared` made once per instance
   * (a WeakMap keyed by request measured at ~10 µs per request: V8's ephemeron bookkeeping).
   */
  readonly #slot: string;
  /** Every client header name this config sets (lower-case). */
  readonly #allHeaders: string[] = [];

  constructor(config: Config, env: PluginEnv, plugin: Readonly<Plugin>) {
    this.#config = config;
    this.#env = env;
    this.#counters = new SharedCounters(env.counters);
    this.#header = config.header_name.toLowerCase();
    this.#slot = `\0response-ratelimiting:${plugin.id}`;
    const id = new KeyHash();
    id.update(null, `response-ratelimiting\0${plugin.id}`);
    for (const [name, limit] of Object.entries(config.limits)) {
      const seed = new KeyHash();
      seed.update(id, name);
      const spec: LimitSpec = { name, seed, periods: [], limits: [], limitText: [], limitHeaders: [], remainingHeaders: [], upstreamHeader: `X-RateLimit-Remaining-${name}` };
      for (const period of PERIODS) {
        const value = limit[period];
        if (value === null || value === undefined) continue;
        spec.periods.push(COUNTER_PERIODS.indexOf(period));
        spec.limits.push(value);
        spec.limitText.push(String(value));
        // Lower-case: header_filter edits the upstream's head, whose names are lower-case.
        spec.limitHeaders.push(`x-ratelimit-limit-${name}-${period}`.toLowerCase());
        spec.remainingHeaders.push(`x-ratelimit-remaining-${name}-${period}`.toLowerCase());
      }
      this.#allHeaders.push(...spec.limitHeaders, ...spec.remainingHeaders);
      this.#byName.set(name, this.#specs.length);
      this.#specs.push(spec);
    }
  }

  access(ctx: RequestContext): void {
    const now = Date.now();
    const identifier = this.#identifier(ctx);
    const counters = this.#counters;
    const remaining: number[][] = [];
    for (const spec of this.#specs) {
      this.#hash.update(spec.seed, identifier);
      const left: number[] = [];
      let fewest = Infinity;
      for (let i = 0; i < spec.periods.length; i++) {
        const period = spec.periods[i]!;
        const used = counters.peek(period, windowToken(this.#clock.start(period, now)), this.#hash.hi, this.#hash.lo);
        const rest = spec.limits[i]! - used;
        // Kong blocks at exactly 0 left; a cost above 1 can overshoot, so anything at or below.
        if (this.#config.block_on_first_violation && rest <= 0) return ctx.exit(429, { message: `API rate limit exceeded for '${spec.name}'` });
        left.push(rest);
        if (rest < fewest) fewest = rest;
      }
      remaining.push(left);
      ctx.setUpstreamHeader(spec.upstreamHeader, String(fewest));
    }
    ctx.shared[this.#slot] = new Usage(identifier, now, remaining, this.#specs.length);
  }

  headerFilter(ctx: RequestContext, upstream: UpstreamResponse): void {
    const usage = ctx.shared[this.#slot] as Usage | undefined;
    const said = upstream.headers[this.#header];
    if (said !== undefined) {
      delete upstream.headers[this.#header];
      if (usage !== undefined) this.#parseCosts(said, usage.costs);
    }
    if (usage === undefined) return;
    const hide = this.#config.hide_client_headers;
    let stop = false;
    for (let l = 0; l < this.#specs.length; l++) {
      const spec = this.#specs[l]!;
      const cost = usage.costs[l]!;
      const left = usage.remaining[l]!;
      for (let i = 0; i < left.length; i++) {
        if (!hide) {
          upstream.headers[spec.limitHeaders[i]!] = spec.limitText[i]!;
          upstream.headers[spec.remainingHeaders[i]!] = String(Math.max(0, left[i]! - (Number.isNaN(cost) ? 0 : cost)));
        }
        if (cost > 0 && left[i]! <= 0) stop = true;
      }
    }
    if (stop) {
      usage.stopped = true;
      // The answer becomes Kong's bodiless 429 with the limit headers; the proxy drops the
      // upstream's body (an exit in header_filter). No body_filter: it would cost every response
      // of the route its single-write fast path.
      const headers: Record<string, string> = {};
      if (!hide) for (const name of this.#allHeaders) headers[name] = upstream.headers[name] as string;
      ctx.exit(429, undefined, headers);
    }
  }

  log(ctx: RequestContext): void {
    const usage = ctx.shared[this.#slot] as Usage | undefined;
    if (usage === undefined || usage.stopped) return;
    const counters = this.#counters;
    for (let l = 0; l < this.#specs.length; l++) {
      const cost = usage.costs[l]!;
      if (Number.isNaN(cost) || cost === 0) continue;
      const spec = this.#specs[l]!;
      this.#hash.update(spec.seed, usage.identifier);
      for (const period of spec.periods) {
        if (counters.increment(period, windowToken(this.#clock.start(period, usage.now)), this.#hash.hi, this.#hash.lo, cost) === -1) {
          if (counters.claimWarning(Date.now())) this.#env.log.warn({ plugin: 'response-ratelimiting', slots_per_period: counters.slotsPerPeriod }, 'response-ratelimiting: shared counter table is full; a cost was not counted, raise --rate-limit-slots');
        }
      }
    }
  }

  /** Kong's parse_header: `name=N` parts (comma-separated, or one per repeated header) for known limits. */
  #parseCosts(value: string | string[], costs: number[]): void {
    const parts = typeof value === 'string' ? value.split(',') : value;
    for (const part of parts) {
      const pieces = part.split('=');
      if (pieces.length !== 2) continue;
      const at = this.#byName.get(pieces[0]!.trim());
      if (at === undefined) continue;
      const text = pieces[1]!.trim();
      // Lua's tonumber(s, 10): decimal integers only; anything else counts nothing.
      costs[at] = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    }
  }

  /** Kong's get_identifier: consumer (or credential), credential, else the client IP. */
  #identifier(ctx: RequestContext): string {
    switch (this.#config.limit_by) {
      case 'consumer':
        return ctx.consumer?.id ?? ctx.credential?.id ?? ctx.clientIp;
      case 'credential':
        return ctx.credential?.id ?? ctx.clientIp;
      default:
        return ctx.clientIp;
    }
  }
}

export default definePlugin<Config>(schema, ResponseRateLimiting);
