// The plugin API of the data plane (worker threads). A plugin is a definition — name, priority,
// schema, the phases it implements, create(config) — and `create` returns an instance with those
// phase methods. Write one with `definePlugin` (define.ts); a plugin's folder is
// workers/plugins/<name>/ and its schema config/plugins/<name>.ts (docs/plugins.md).
// Instances are keyed by plugin id + config hash and live across reconfigures that do not touch
// them (Kong re-creates them; that is the "Could not claim instance_id" wedge, Kong #11173).
import type { PluginSchema } from '../../config/plugin-schema.ts';
import type { Plugin } from '../../config/types.ts';
import type { Logger } from '../../runtime/protocol/log.ts';
import type { CredentialsIndex } from '../credentials.ts';
import type { RequestContext } from '../proxy/context.ts';
import type { TimerWheel } from '../timers/wheel.ts';

/** What a plugin instance may use from its worker. Stable for the worker's life. */
export interface PluginEnv {
  readonly worker: number;
  readonly wheel: TimerWheel;
  /** Cross-worker counters (SharedArrayBuffer); layout owned by the rate-limiting plugin. */
  readonly counters: SharedArrayBuffer;
  /** Current consumers/credentials; a getter because that index is rebuilt on its own. */
  readonly credentials: () => CredentialsIndex;
  readonly log: Logger;
  /** The syslog plugin's unix datagram socket (runtime option --syslog-socket); absent: /dev/log. */
  readonly syslogSocket?: string;
}

/** The upstream's answer head, as header_filter sees it before the client does. */
export interface UpstreamResponse {
  statusCode: number;
  /** Lower-case names; a plugin may add, change or delete entries before they are sent. */
  headers: Record<string, string | string[] | undefined>;
}

/** The upstream's whole answer, as the buffered `response` phase sees it; a plugin may replace `body`. */
export interface BufferedResponse extends UpstreamResponse {
  body: Buffer;
}

type Phase = (ctx: RequestContext) => void | Promise<void>;

/**
 * Kong's phases, in the order a request meets them: rewrite, access, then either `response`
 * (the upstream answer buffered whole) or not, then header_filter and body_filter on what the
 * client gets, then log. (`certificate` comes with TLS.)
 */
export const PHASES = ['rewrite', 'access', 'response', 'headerFilter', 'bodyFilter', 'log'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface PluginInstance {
  /**
   * Provisioning that may fail or take time (open a file, warm a cache), run once after `create`
   * and before the first phase. When it throws or rejects, `close` is called on this half-made
   * instance and the creation counts as failed: the waiting requests get a 500, the next retries.
   */
  init?: () => void | Promise<void>;
  /** Before routing decisions are final (global plugins only, as in Kong). */
  rewrite?: Phase;
  /** Authentication, rate limiting, termination. May end the request with `ctx.exit`. */
  access?: Phase;
  /**
   * Kong's `response`: the upstream answer read whole (its presence on a route makes the proxy
   * buffer that route's answers). May change status, headers and body, or `ctx.exit`.
   */
  response?: (ctx: RequestContext, upstream: BufferedResponse) => void | Promise<void>;
  /**
   * Asked of a plugin with a `response` phase when the upstream's head arrives: whether this
   * answer must be read whole for it (absent: always). When no plugin of the route wants it, the
   * answer streams, `response` is skipped, and header_filter/body_filter still run. response-transformer
   * only wants JSON answers: a download on the same route is not held in memory.
   */
  wantsResponse?: (ctx: RequestContext, upstream: UpstreamResponse) => boolean;
  /** Kong's header_filter. Synchronous: the response head is about to be written. */
  headerFilter?: (ctx: RequestContext, upstream: UpstreamResponse) => void;
  /**
   * Kong's body_filter, once per chunk on its way to the client and once more with `last` (and an
   * empty chunk) at the end. Returns the bytes to send instead (the same chunk to pass it on).
   * A plugin that changes the body's length removes Content-Length in headerFilter, as in Kong.
   */
  bodyFilter?: (ctx: RequestContext, chunk: Buffer, last: boolean) => Buffer;
  /** After the response is finished; never delays the client. */
  log?: Phase;
  /** Called once, after the last request that used this instance has finished. Must tolerate a failed create. */
  close?: () => void | Promise<void>;
}

export interface PluginDefinition<Config = Record<string, unknown>> {
  name: string;
  /** Kong's priority: higher runs first. */
  priority: number;
  schema: PluginSchema;
  /** The phase methods every instance has: the compiled per-route phase lists hold only these. */
  phases: ReadonlySet<PhaseName>;
  /**
   * Makes the instance for one plugin config. `plugin` is the entity (id, scope); its `config` is
   * `config`. Kong injects the same into `conf` (route_id, service_id, __plugin_id).
   */
  create(config: Config, env: PluginEnv, plugin: Readonly<Plugin>): PluginInstance | Promise<PluginInstance>;
}
