// The plugin API of the data plane (worker threads). A plugin is a definition — name, priority,
// schema, create(config) — and `create` returns an instance with optional phase methods.
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
}

/** The upstream's answer, as a `response` phase sees it before the client does. */
export interface UpstreamResponse {
  statusCode: number;
  /** Lower-case names; a plugin may add, change or delete entries before they are sent. */
  headers: Record<string, string | string[] | undefined>;
}

type Phase = (ctx: RequestContext) => void | Promise<void>;

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
  /** Synchronous, like Kong's header_filter: the response head is about to be written. */
  response?: (ctx: RequestContext, upstream: UpstreamResponse) => void;
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
  /**
   * Makes the instance for one plugin config. `plugin` is the entity (id, scope); its `config` is
   * `config`. Kong injects the same into `conf` (route_id, service_id, __plugin_id).
   */
  create(config: Config, env: PluginEnv, plugin: Readonly<Plugin>): PluginInstance | Promise<PluginInstance>;
}
