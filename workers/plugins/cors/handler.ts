// Runs on a worker thread: cors, as Kong 3.x's handler behaves. A preflight (OPTIONS with Origin
// and Access-Control-Request-Method) is answered 200 in access with the allow headers, unless
// `preflight_continue` sends it to the upstream untouched. Any other request gets the origin,
// credentials and expose headers on its response: they are decided in access (so an answer made by
// a later plugin, a 401 say, carries them too, as Kong's header_filter gives them) and applied
// over the upstream's in header_filter (an upstream Access-Control-Allow-Origin is removed when the
// origin is not allowed; Vary gets Origin appended).
import { schema, type Config } from '../../../config/plugins/cors.ts';
import { assertHeader } from '../../http1/response.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginInstance, UpstreamResponse } from '../types.ts';
import { OriginRules } from './origins.ts';

const ACAO = 'Access-Control-Allow-Origin';
/** Distinct request Origins whose response headers are kept per config; beyond, the memo starts over. */
const MEMO_MAX = 1024;

class Cors implements PluginInstance {
  readonly #rules: OriginRules;
  readonly #credentials: boolean;
  readonly #preflightContinue: boolean;
  readonly #privateNetwork: boolean;
  readonly #allowOriginAbsent: boolean;
  /** Precomputed header values (null: not sent). */
  readonly #allowHeaders: string | null;
  readonly #allowMethods: string;
  readonly #maxAge: string | null;
  readonly #expose: string | null;
  /** Non-preflight response headers by request Origin, and for no Origin. */
  readonly #byOrigin = new Map<string, Readonly<Record<string, string>>>();
  #absent: Readonly<Record<string, string>> | null = null;

  constructor(config: Config) {
    this.#rules = new OriginRules(config.origins);
    this.#credentials = config.credentials;
    this.#preflightContinue = config.preflight_continue;
    this.#privateNetwork = config.private_network;
    this.#allowOriginAbsent = config.allow_origin_absent;
    this.#allowHeaders = config.headers !== null && config.headers.length > 0 ? config.headers.join(',') : null;
    this.#allowMethods = config.methods.join(',');
    this.#maxAge = config.max_age === null ? null : String(config.max_age);
    this.#expose = config.exposed_headers !== null && config.exposed_headers.length > 0 ? config.exposed_headers.join(',') : null;
  }

  access(ctx: RequestContext): void {
    const headers = ctx.req.headers;
    const origin = headers.origin ?? null;
    const given = origin !== null && origin !== '';
    if (ctx.req.method === 'OPTIONS' && given && headers['access-control-request-method'] !== undefined) {
      SKIP.add(ctx);
      if (this.#preflightContinue) return;
      const out: Record<string, string> = {};
      this.#origin(out, origin);
      const requested = headers['access-control-request-headers'];
      if (this.#allowHeaders !== null) out['Access-Control-Allow-Headers'] = this.#allowHeaders;
      else if (requested !== undefined) out['Access-Control-Allow-Headers'] = requested;
      out['Access-Control-Allow-Methods'] = this.#allowMethods;
      if (this.#maxAge !== null) out['Access-Control-Max-Age'] = this.#maxAge;
      if (this.#privateNetwork && headers['access-control-request-private-network'] === 'true') out['Access-Control-Allow-Private-Network'] = 'true';
      ctx.exit(200, undefined, out);
      return;
    }
    if (!given && !this.#allowOriginAbsent) {
      SKIP.add(ctx);
      return;
    }
    const out = this.#responseHeaders(given ? origin : null);
    const mine = ctx.responseHeaders;
    if (mine === null) ctx.responseHeaders = { ...out };
    else Object.assign(mine, out);
  }

  /**
   * The headers a non-preflight answer gets for this Origin, made once per distinct Origin
   * (bounded) rather than per request. Values are checked here, once: an Origin the listener
   * parsed cannot hold CR, LF or NUL, and configured values are plain strings.
   */
  #responseHeaders(origin: string | null): Readonly<Record<string, string>> {
    if (origin === null) return (this.#absent ??= this.#makeHeaders(null));
    let out = this.#byOrigin.get(origin);
    if (out === undefined) {
      out = this.#makeHeaders(origin);
      if (this.#byOrigin.size >= MEMO_MAX) this.#byOrigin.clear();
      this.#byOrigin.set(origin, out);
    }
    return out;
  }

  #makeHeaders(origin: string | null): Readonly<Record<string, string>> {
    const out: Record<string, string> = {};
    this.#origin(out, origin);
    if (this.#expose !== null) out['Access-Control-Expose-Headers'] = this.#expose;
    for (const name in out) assertHeader(name, out[name]!);
    return Object.freeze(out);
  }

  headerFilter(ctx: RequestContext, upstream: UpstreamResponse): void {
    if (SKIP.has(ctx)) return;
    const mine = ctx.responseHeaders;
    // Not allowed: an Access-Control-Allow-Origin of the upstream's goes too (Kong clears it).
    if (mine === null || mine[ACAO] === undefined) delete upstream.headers['access-control-allow-origin'];
    const vary = upstream.headers.vary;
    if (mine !== null && mine['Vary'] !== undefined && vary !== undefined) {
      // Appended to the upstream's Vary, not in its place (Kong's add_header).
      ctx.addResponseHeader('Vary', `${typeof vary === 'string' ? vary : vary.join(', ')}, Origin`);
    }
  }

  /** Kong's configure_origin then configure_credentials, into `out`. */
  #origin(out: Record<string, string>, origin: string | null): void {
    const decision = this.#rules.decide(origin);
    if (decision.kind !== 'all') out['Vary'] = 'Origin';
    if (decision.kind === 'one') out[ACAO] = decision.value;
    else if (decision.kind === 'all') out[ACAO] = '*';
    if (!this.#credentials) return;
    if (decision.kind !== 'all') {
      out['Access-Control-Allow-Credentials'] = 'true';
    } else if (origin !== null && origin !== '') {
      // `*` cannot go with credentials: the request's own Origin is echoed instead.
      out['Vary'] = 'Origin';
      out[ACAO] = origin;
      out['Access-Control-Allow-Credentials'] = 'true';
    }
  }
}

/** Requests cors leaves alone in header_filter: a preflight it handled (or handed on), no Origin with allow_origin_absent off. */
const SKIP = new WeakSet<RequestContext>();

export default definePlugin<Config>(schema, Cors);
