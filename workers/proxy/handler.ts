// The proxy's request entry point (worker thread): route, run plugins, forward, log.
import type { Logger } from '../../runtime/protocol/log.ts';
import { isGrpcRoute, refuseOnGrpcRoute } from '../grpc/grpc-only.ts';
import { countBytes } from '../metrics/bytes.ts';
import type { PluginRunner } from '../plugins/iterator.ts';
import type { WorkerState } from '../state.ts';
import type { ClientRequest, ClientResponse } from './client.ts';
import type { ClientTimeouts } from './client-timeouts.ts';
import { RequestContext } from './context.ts';
import { answerError } from './errors.ts';
import { forward, type ListenerInfo } from './forward.ts';
import { answerHttpsOnly, needsHttps } from './https-only.ts';
import type { Targets } from './targets.ts';

const kContext = Symbol('sluice.context');
type TrackedResponse = ClientResponse & { [kContext]?: RequestContext; [kRunner]?: PluginRunner | null; [kProxy]?: Proxy };
const kRunner = Symbol('sluice.runner');
const kProxy = Symbol('sluice.proxy');

export class Proxy {
  /** The serving state; replaced whole by `swap`, read once per request. */
  state: WorkerState;
  readonly targets: Targets;
  readonly listener: ListenerInfo;
  readonly log: Logger;
  readonly timeouts: ClientTimeouts;
  requests = 0;
  inFlight = 0;
  /** While draining every response says `Connection: close`, so keep-alive clients move on. */
  draining = false;

  constructor(state: WorkerState, targets: Targets, timeouts: ClientTimeouts, listener: ListenerInfo, log: Logger) {
    this.state = state;
    this.targets = targets;
    this.timeouts = timeouts;
    this.listener = listener;
    this.log = log;
  }

  /** One assignment: requests already running keep the state they captured. */
  swap(state: WorkerState): void {
    this.state = state;
  }

  /** `listener`: the one the request came in on (plain or TLS), for X-Forwarded-Proto/-Port. */
  handle(req: ClientRequest, res: ClientResponse, listener: ListenerInfo = this.listener): void {
    const state = this.state;
    const ctx = new RequestContext(req, res, performance.now());
    this.requests++;
    this.inFlight++;
    const tracked = res as TrackedResponse;
    tracked[kContext] = ctx;
    tracked[kProxy] = this;
    tracked[kRunner] = null;
    // Runs once per response, finished or aborted.
    res.onClose = onResponseClose;
    this.timeouts.requestStarted(ctx);
    if (this.draining) res.setHeader('connection', 'close');

    const url = req.url;
    const q = url.indexOf('?');
    let match;
    try {
      match = state.router.match(req.method, req.headers.host ?? '', q === -1 ? url : url.slice(0, q), req.headers, listener.proto === 'https' ? serverName(req.socket) : null);
    } catch {
      return answerError(ctx, 'SLUICE_ERR_BAD_REQUEST');
    }
    if (match === null) return answerError(ctx, 'SLUICE_ERR_NO_ROUTE');
    ctx.match = match;
    ctx.route = match.route;
    ctx.service = match.service;
    if (match.service === null) return answerError(ctx, 'SLUICE_ERR_NO_HEALTHY_TARGET', 'no Service found with those values');
    if (needsHttps(match.route, listener.proto)) return answerHttpsOnly(ctx, match.route);
    if (isGrpcRoute(match.route) && refuseOnGrpcRoute(ctx, match.route, listener.proto)) return;

    const runner = state.plugins.forRoute(match.route, match.service);
    tracked[kRunner] = runner;
    if (runner === null) return forward(ctx, state, match.service, null, this.targets, listener);
    let pending;
    try {
      pending = runner.before(ctx);
    } catch (error) {
      return this.pluginFailed(ctx, error);
    }
    if (pending === undefined) return afterAccess(ctx, state, runner, this, listener);
    pending.then(
      () => afterAccess(ctx, state, runner, this, listener),
      (error: unknown) => this.pluginFailed(ctx, error),
    );
  }

  pluginFailed(ctx: RequestContext, error: unknown): void {
    this.log.error({ err: error, route: ctx.route?.name ?? ctx.route?.id, code: 'SLUICE_ERR_PLUGIN_FAILED' }, 'plugin failed');
    answerError(ctx, 'SLUICE_ERR_PLUGIN_FAILED');
  }
}

/** The server name a TLS client sent, lower-case, or '' (Kong's ngx.var.ssl_server_name). */
function serverName(socket: unknown): string {
  const name = (socket as { servername?: string | false | null }).servername;
  return typeof name === 'string' ? name.toLowerCase() : '';
}

function afterAccess(ctx: RequestContext, state: WorkerState, runner: PluginRunner, proxy: Proxy, listener: ListenerInfo): void {
  if (ctx.exited) return;
  forward(ctx, state, ctx.service!, runner, proxy.targets, listener);
}

/** Runs once per response, whichever way it ended: log phase, in-flight bookkeeping. */
function onResponseClose(res: TrackedResponse): void {
  const ctx = res[kContext]!;
  const proxy = res[kProxy]!;
  const runner = res[kRunner];
  // The client left before the response ended: the upstream request goes too.
  if (!res.writableFinished && ctx.exchange !== null) ctx.exchange.abort();
  // Before the log phase, which reads ctx.bytesIn / bytesOut; on every response, see bytes.ts.
  countBytes(ctx);
  if (runner !== null && runner !== undefined) runner.after(ctx);
  proxy.timeouts.requestEnded(ctx);
  proxy.inFlight--;
  // After the log phase: nothing of this request reads its body any more but writes in flight.
  ctx.dropBody();
}
