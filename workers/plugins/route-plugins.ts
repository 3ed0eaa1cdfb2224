// Runs on a worker thread: the compiled phase lists of one (route, service) — which plugin names
// run there, by priority, and for each phase the positions of those that implement it. Built once
// per (route, service) on first use and kept until a plugin change that applies to that route or
// service drops it (compiled-routes.ts). Immutable: a request holds the one it started with.
import type { ConfiguredPlugin } from './configured.ts';
import type { PhaseRunner, PluginRun } from './runner.ts';
import type { PluginChoice } from './selection.ts';
import type { BufferedResponse, PhaseName, UpstreamResponse } from './types.ts';
import type { RequestContext } from '../proxy/context.ts';

/** What the proxy calls around one request. */
export interface PluginRunner {
  /** The route has a `response` plugin: the upstream answer must be read whole and given to `response` first. */
  readonly buffersResponse: boolean;
  /** The route has a header_filter plugin: the response head is built as an object for `headerFilter`. */
  readonly filtersHeaders: boolean;
  /** The route has a body_filter plugin: every chunk to the client goes through `bodyFilter`. */
  readonly filtersBody: boolean;
  /** The route has a log-phase plugin: the proxy records what only a log entry reads (each upstream try). */
  readonly logs: boolean;
  /**
   * Rewrite (global configs), then access, in priority order; stops once `ctx.exited`. Returns a
   * promise only when some step returned a thenable. Never throws and never rejects: a failing
   * plugin answers 500 itself. Acquires the request's instances: call `after` exactly once later.
   */
  before(ctx: RequestContext): void | Promise<void>;
  /** With `buffersResponse`: whether some `response` plugin wants this answer read whole (PluginInstance.wantsResponse). */
  wantsResponse(ctx: RequestContext, upstream: UpstreamResponse): boolean;
  /** Kong's `response` phase on the buffered answer. Never rejects; a failure answers 500 (check `ctx.exited`). */
  response(ctx: RequestContext, upstream: BufferedResponse): void | Promise<void>;
  /** `response` over a gateway-made answer (ctx.exit): runs although `ctx.exited` is set. Never rejects. */
  exitResponse(ctx: RequestContext, answer: BufferedResponse): void | Promise<void>;
  /**
   * The response head is about to be written (Kong's header_filter, same order as access).
   * A throwing plugin answers 500 instead: the caller must then check `ctx.exited` and drop the
   * upstream response.
   */
  headerFilter(ctx: RequestContext, upstream: UpstreamResponse): void;
  /** Kong's body_filter over one chunk (`last` with the final one). A throwing plugin cuts the response. */
  bodyFilter(ctx: RequestContext, chunk: Buffer, last: boolean): Buffer;
  /** Log phase once the response is done, then releases the instances. Never throws. */
  after(ctx: RequestContext): void;
}

const NONE: readonly number[] = Object.freeze([]);

export class RoutePlugins implements PluginRunner {
  readonly routeId: string;
  readonly serviceId: string | null;
  /** Global configs with a rewrite phase, by priority. */
  readonly rewrite: readonly ConfiguredPlugin[];
  /** Every name that applies here, by priority: the access order. */
  readonly choices: readonly PluginChoice[];
  /** The non-consumer winner of each choice: a request's chosen configs when no choice is consumer-scoped. */
  readonly bases: readonly (ConfiguredPlugin | null)[];
  readonly consumerScoped: boolean;
  /** Positions in `choices`, per phase, of the names that implement it. */
  readonly responseAt: readonly number[];
  readonly headerFilterAt: readonly number[];
  readonly bodyFilterAt: readonly number[];
  readonly logAt: readonly number[];
  readonly buffersResponse: boolean;
  readonly filtersHeaders: boolean;
  readonly filtersBody: boolean;
  readonly logs: boolean;
  readonly #runner: PhaseRunner;

  constructor(runner: PhaseRunner, routeId: string, serviceId: string | null, rewrite: readonly ConfiguredPlugin[], choices: readonly PluginChoice[]) {
    this.#runner = runner;
    this.routeId = routeId;
    this.serviceId = serviceId;
    this.rewrite = rewrite;
    this.choices = choices;
    this.bases = choices.map((choice) => choice.base);
    this.consumerScoped = choices.some((choice) => choice.consumerScoped);
    this.responseAt = positions(choices, 'response');
    this.headerFilterAt = positions(choices, 'headerFilter');
    this.bodyFilterAt = positions(choices, 'bodyFilter');
    this.logAt = positions(choices, 'log');
    this.buffersResponse = this.responseAt.length > 0;
    this.filtersHeaders = this.headerFilterAt.length > 0;
    this.filtersBody = this.bodyFilterAt.length > 0;
    this.logs = this.logAt.length > 0;
  }

  before(ctx: RequestContext): void | Promise<void> {
    return this.#runner.before(this, ctx);
  }

  wantsResponse(ctx: RequestContext, upstream: UpstreamResponse): boolean {
    return this.#runner.wantsResponse(this, ctx, upstream);
  }

  response(ctx: RequestContext, upstream: BufferedResponse): void | Promise<void> {
    return this.#runner.response(this, ctx, upstream);
  }

  exitResponse(ctx: RequestContext, answer: BufferedResponse): void | Promise<void> {
    return this.#runner.exitResponse(this, ctx, answer);
  }

  headerFilter(ctx: RequestContext, upstream: UpstreamResponse): void {
    this.#runner.headerFilter(this, ctx, upstream);
  }

  bodyFilter(ctx: RequestContext, chunk: Buffer, last: boolean): Buffer {
    return this.#runner.bodyFilter(this, ctx, chunk, last);
  }

  after(ctx: RequestContext): void {
    this.#runner.after(this, ctx);
  }
}

function positions(choices: readonly PluginChoice[], phase: PhaseName): readonly number[] {
  const at: number[] = [];
  for (let i = 0; i < choices.length; i++) if (choices[i]!.phases.has(phase)) at.push(i);
  return at.length === 0 ? NONE : at;
}

export type { PluginRun };
