// Runs on a worker thread: the phase runner — calls the plugins of one request's compiled route
// (route-plugins.ts) phase by phase. Synchronous until a plugin returns a thenable (only then does
// it await), never throws into the proxy: a failing plugin is logged and answers 500.
// Instances are made lazily, single-flight (instances.ts); a request acquires every instance it
// may use before its first phase and releases them after its log phase.
import { RANK_GLOBAL, type ConfiguredPlugin } from './configured.ts';
import { isThenable, PluginCreateError, type PluginInstances } from './instances.ts';
import type { RoutePlugins } from './route-plugins.ts';
import type { PrecedenceIndex } from './selection.ts';
import type { BufferedResponse, PluginEnv, UpstreamResponse } from './types.ts';
import type { RequestContext } from '../proxy/context.ts';

const INTERNAL_ERROR = Object.freeze({ message: 'An unexpected error occurred' });
const ERROR_CODE = 'SLUICE_ERR_PLUGIN_FAILED';

/** Per-request plugin state, kept on `ctx.plugins`. */
export class PluginRun {
  readonly plugins: RoutePlugins;
  /** The config chosen for each of `plugins.choices` (the route's own bases when nothing is consumer-scoped). */
  readonly chosen: (ConfiguredPlugin | null)[];
  done = false;

  constructor(plugins: RoutePlugins, chosen: (ConfiguredPlugin | null)[]) {
    this.plugins = plugins;
    this.chosen = chosen;
  }
}

interface Waiting {
  config: ConfiguredPlugin;
  pending: Promise<unknown>;
}

export class PhaseRunner {
  readonly #instances: PluginInstances;
  readonly #index: PrecedenceIndex;
  readonly #env: PluginEnv;

  constructor(instances: PluginInstances, index: PrecedenceIndex, env: PluginEnv) {
    this.#instances = instances;
    this.#index = index;
    this.#env = env;
  }

  before(plugins: RoutePlugins, ctx: RequestContext): void | Promise<void> {
    // Only consumer scoping makes the chosen configs differ between requests of one route.
    const run = new PluginRun(plugins, plugins.consumerScoped ? plugins.bases.slice() : (plugins.bases as (ConfiguredPlugin | null)[]));
    ctx.plugins = run;
    const instances = this.#instances;
    const rewrite = plugins.rewrite;
    const chosen = run.chosen;
    let missing = false;
    for (let i = 0; i < rewrite.length; i++) {
      const entry = rewrite[i]!.entry;
      instances.acquire(entry);
      if (entry.instance === null) missing = true;
    }
    for (let i = 0; i < chosen.length; i++) {
      const config = chosen[i];
      if (config === null || config === undefined) continue;
      instances.acquire(config.entry);
      if (config.entry.instance === null) missing = true;
    }
    if (missing) return this.#makeInstances(ctx, run);
    return this.#steps(ctx, run, 0);
  }

  /**
   * Cold path: makes every instance this request may use before any phase runs, so that plugins
   * after an early exit (an auth 401) still have an instance for their log phase (Kong logs them).
   */
  #makeInstances(ctx: RequestContext, run: PluginRun): void | Promise<void> {
    let waiting: Waiting[] | null = null;
    const rewrite = run.plugins.rewrite;
    const chosen = run.chosen;
    const total = rewrite.length + chosen.length;
    for (let i = 0; i < total; i++) {
      const config = i < rewrite.length ? rewrite[i]! : chosen[i - rewrite.length];
      if (config === null || config === undefined || config.entry.instance !== null) continue;
      // A global config may be in both lists: ask once.
      if (i >= rewrite.length && config.rank === RANK_GLOBAL && rewrite.includes(config)) continue;
      let made;
      try {
        made = this.#instances.instance(config.entry);
      } catch (error) {
        return this.#fail(ctx, config, 'init', error);
      }
      if (isThenable(made)) (waiting ??= []).push({ config, pending: made });
    }
    if (waiting === null) return this.#steps(ctx, run, 0);
    return this.#afterCreates(ctx, run, waiting);
  }

  async #afterCreates(ctx: RequestContext, run: PluginRun, waiting: Waiting[]): Promise<void> {
    for (const { config, pending } of waiting) {
      try {
        await pending;
      } catch (error) {
        return this.#fail(ctx, config, 'init', error);
      }
    }
    const next = this.#steps(ctx, run, 0);
    if (next !== undefined) await next;
  }

  /**
   * Runs steps from `from` on, synchronously until one returns a thenable. Steps are numbered
   * across both phases: rewrite configs first, then access choices.
   */
  #steps(ctx: RequestContext, run: PluginRun, from: number): void | Promise<void> {
    const rewrite = run.plugins.rewrite;
    const total = rewrite.length + run.plugins.choices.length;
    for (let step = from; step < total; step++) {
      if (ctx.exited || run.done) return;
      const inRewrite = step < rewrite.length;
      const config = inRewrite ? rewrite[step]! : this.#resolve(ctx, run, step - rewrite.length);
      if (config === null || !config.phases.has(inRewrite ? 'rewrite' : 'access')) continue;
      let instance = config.entry.instance;
      if (instance === null) {
        let made;
        try {
          made = this.#instances.instance(config.entry);
        } catch (error) {
          return this.#fail(ctx, config, 'init', error);
        }
        if (isThenable(made)) return this.#afterCreate(ctx, run, step, config, made);
        instance = made;
      }
      let result: void | Promise<void>;
      // A definition may declare a phase an instance lacks (hand-written definitions): skip it.
      try {
        if (inRewrite) {
          if (instance.rewrite === undefined) continue;
          result = instance.rewrite(ctx);
        } else {
          if (instance.access === undefined) continue;
          result = instance.access(ctx);
        }
      } catch (error) {
        return this.#fail(ctx, config, inRewrite ? 'rewrite' : 'access', error);
      }
      if (isThenable(result)) return this.#afterPhase(ctx, run, step, config, result);
    }
  }

  async #afterCreate(ctx: RequestContext, run: PluginRun, step: number, config: ConfiguredPlugin, pending: Promise<unknown>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      return this.#fail(ctx, config, 'init', error);
    }
    // The same step again, now that its instance exists.
    const next = this.#steps(ctx, run, step);
    if (next !== undefined) await next;
  }

  async #afterPhase(ctx: RequestContext, run: PluginRun, step: number, config: ConfiguredPlugin, pending: PromiseLike<void>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      return this.#fail(ctx, config, step < run.plugins.rewrite.length ? 'rewrite' : 'access', error);
    }
    const next = this.#steps(ctx, run, step + 1);
    if (next !== undefined) await next;
  }

  /** The config of choice `at` for this request: consumer-scoped ones are looked up once a consumer is known. */
  #resolve(ctx: RequestContext, run: PluginRun, at: number): ConfiguredPlugin | null {
    const current = run.chosen[at]!;
    const choice = run.plugins.choices[at]!;
    const consumer = ctx.consumer;
    if (!choice.consumerScoped || consumer === null) return current;
    const chosen = this.#index.forConsumer(consumer.id, choice, run.plugins.routeId, run.plugins.serviceId);
    if (chosen === null || chosen === current) return current;
    this.#instances.acquire(chosen.entry);
    if (current !== null) this.#instances.release(current.entry);
    run.chosen[at] = chosen;
    return chosen;
  }

  wantsResponse(plugins: RoutePlugins, ctx: RequestContext, upstream: UpstreamResponse): boolean {
    const run = ctx.plugins;
    if (run === null || run.plugins !== plugins) return false;
    const at = plugins.responseAt;
    for (let i = 0; i < at.length; i++) {
      const instance = run.chosen[at[i]!]?.entry.instance;
      if (instance === null || instance === undefined || instance.response === undefined) continue;
      // A plugin that cannot say is given the answer whole: its response phase reports any fault.
      try {
        if (instance.wantsResponse === undefined || instance.wantsResponse(ctx, upstream)) return true;
      } catch {
        return true;
      }
    }
    return false;
  }

  response(plugins: RoutePlugins, ctx: RequestContext, upstream: BufferedResponse): void | Promise<void> {
    return this.#responseFrom(plugins, ctx, upstream, 0, false);
  }

  /**
   * The `response` phase over a gateway-made answer (ctx.exit), which Kong's body_filter plugins
   * see too. `ctx.exited` is already set, so unlike `response` it does not stop there; a failing
   * plugin is logged (its 500 is skipped: the answer is under way) and the answer goes on as it stands.
   */
  exitResponse(plugins: RoutePlugins, ctx: RequestContext, answer: BufferedResponse): void | Promise<void> {
    return this.#responseFrom(plugins, ctx, answer, 0, true);
  }

  #responseFrom(plugins: RoutePlugins, ctx: RequestContext, upstream: BufferedResponse, from: number, onExit: boolean): void | Promise<void> {
    const run = ctx.plugins;
    if (run === null || run.plugins !== plugins) return;
    const at = plugins.responseAt;
    for (let i = from; i < at.length; i++) {
      if (ctx.exited && !onExit) return;
      const config = run.chosen[at[i]!];
      const instance = config?.entry.instance;
      if (config === null || config === undefined || instance === null || instance === undefined || instance.response === undefined) continue;
      let result: void | Promise<void>;
      try {
        result = instance.response(ctx, upstream);
      } catch (error) {
        return this.#fail(ctx, config, 'response', error);
      }
      if (isThenable(result)) return this.#afterResponse(plugins, ctx, upstream, i, config, result, onExit);
    }
  }

  async #afterResponse(plugins: RoutePlugins, ctx: RequestContext, upstream: BufferedResponse, i: number, config: ConfiguredPlugin, pending: PromiseLike<void>, onExit: boolean): Promise<void> {
    try {
      await pending;
    } catch (error) {
      return this.#fail(ctx, config, 'response', error);
    }
    const next = this.#responseFrom(plugins, ctx, upstream, i + 1, onExit);
    if (next !== undefined) await next;
  }

  headerFilter(plugins: RoutePlugins, ctx: RequestContext, upstream: UpstreamResponse): void {
    const run = ctx.plugins;
    if (run === null || run.plugins !== plugins) return;
    const at = plugins.headerFilterAt;
    for (let i = 0; i < at.length; i++) {
      const config = run.chosen[at[i]!];
      const instance = config?.entry.instance;
      if (config === null || config === undefined || instance === null || instance === undefined || instance.headerFilter === undefined) continue;
      try {
        instance.headerFilter(ctx, upstream);
      } catch (error) {
        return this.#fail(ctx, config, 'header_filter', error);
      }
    }
  }

  bodyFilter(plugins: RoutePlugins, ctx: RequestContext, chunk: Buffer, last: boolean): Buffer {
    const run = ctx.plugins;
    if (run === null || run.plugins !== plugins) return chunk;
    const at = plugins.bodyFilterAt;
    for (let i = 0; i < at.length; i++) {
      const config = run.chosen[at[i]!];
      const instance = config?.entry.instance;
      if (config === null || config === undefined || instance === null || instance === undefined || instance.bodyFilter === undefined) continue;
      try {
        chunk = instance.bodyFilter(ctx, chunk, last);
      } catch (error) {
        // The head is gone: #fail cuts the connection (ctx.exit after headers destroys the socket).
        this.#fail(ctx, config, 'body_filter', error);
        return EMPTY;
      }
    }
    return chunk;
  }

  after(plugins: RoutePlugins, ctx: RequestContext): void {
    const run = ctx.plugins;
    if (run === null || run.plugins !== plugins || run.done) return;
    run.done = true;
    const instances = this.#instances;
    const chosen = run.chosen;
    const at = plugins.logAt;
    for (let i = 0; i < at.length; i++) {
      const config = chosen[at[i]!];
      const instance = config?.entry.instance;
      if (config === null || config === undefined || instance === null || instance === undefined || instance.log === undefined) continue;
      try {
        const result = instance.log(ctx);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.#logFailed(ctx, config, error));
      } catch (error) {
        this.#logFailed(ctx, config, error);
      }
    }
    const rewrite = plugins.rewrite;
    for (let i = 0; i < rewrite.length; i++) instances.release(rewrite[i]!.entry);
    for (let i = 0; i < chosen.length; i++) {
      const config = chosen[i];
      if (config !== null && config !== undefined) instances.release(config.entry);
    }
  }

  /** One log line (a failed creation was logged once already), then 500 unless the answer has started. */
  #fail(ctx: RequestContext, config: ConfiguredPlugin, phase: string, error: unknown): void {
    if (!(error instanceof PluginCreateError)) {
      this.#env.log.error(
        { err: error, code: ERROR_CODE, plugin: config.name, plugin_id: config.id, phase, route: ctx.route?.name ?? ctx.route?.id },
        `plugin ${config.name} failed in ${phase}`,
      );
    }
    // After a filter failed, the 500 does not go through the filters again.
    if (!ctx.exited) ctx.exit(500, INTERNAL_ERROR, undefined, phase !== 'header_filter' && phase !== 'body_filter');
  }

  #logFailed(ctx: RequestContext, config: ConfiguredPlugin, error: unknown): void {
    this.#env.log.error(
      { err: error, code: ERROR_CODE, plugin: config.name, plugin_id: config.id, phase: 'log', route: ctx.route?.name ?? ctx.route?.id },
      `plugin ${config.name} failed in log`,
    );
  }
}

const EMPTY = Buffer.alloc(0);
