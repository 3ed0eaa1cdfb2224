// Runs on a worker thread: which plugin configs apply to a request, in which order, and the runner
// that calls their phases. Built from the `plugins` group only (rebuilt when it changes); routes,
// services, targets and consumers may change under it without a rebuild, because applicability is
// resolved lazily per (route id, service id) and memoized here, and consumer-scoped configs are
// looked up by consumer id at request time.
//
// Precedence per plugin name, as Kong's plugins iterator (most specific first):
//   route+service+consumer, route+consumer, service+consumer, route+service, consumer, route,
//   service, global.
// The consumer is known only once an auth plugin has run, so, as in Kong, a name that has
// consumer-scoped configs is resolved again at its turn in the access phase, with the consumer set
// by the (higher-priority) plugins before it; response and log then use what access resolved.
// The rewrite phase runs global configs only (Kong: routing is not final yet).
import type { Plugin, Route, Service, Snapshot } from '../../config/types.ts';
import type { RequestContext } from '../proxy/context.ts';
import { isThenable, PluginCreateError, type InstanceEntry, type PluginInstances } from './instances.ts';
import type { PluginRegistry } from './registry.ts';
import type { PluginEnv, UpstreamResponse } from './types.ts';

export interface PluginRunner {
  /**
   * Rewrite (global configs), then access, in priority order; stops once `ctx.exited`. Returns a
   * promise only when some step returned a thenable. Never throws and never rejects: a failing
   * plugin answers 500 itself. Acquires the request's instances: call `after` exactly once later.
   */
  before(ctx: RequestContext): void | Promise<void>;
  /**
   * The upstream response head is about to be written (Kong's header_filter, same order as access).
   * A throwing plugin answers 500 instead: the caller must then check `ctx.exited` and drop the
   * upstream response.
   */
  response(ctx: RequestContext, upstream: UpstreamResponse): void;
  /** Log phase once the response is done, then releases the instances. Never throws. */
  after(ctx: RequestContext): void;
}

export interface PluginsIterator {
  /** The runner for requests matched to this route (and its service), or null when no plugin applies. */
  forRoute(route: Route, service: Service | null): PluginRunner | null;
  /** Enabled plugin configs this iterator knows. */
  readonly size: number;
}

// Kong's lookup order, as ranks: lower wins.
const RANK_ROUTE_SERVICE_CONSUMER = 1;
const RANK_ROUTE_CONSUMER = 2;
const RANK_SERVICE_CONSUMER = 3;
const RANK_ROUTE_SERVICE = 4;
const RANK_CONSUMER = 5;
const RANK_ROUTE = 6;
const RANK_SERVICE = 7;
const RANK_GLOBAL = 8;
const RANK_NONE = 9;

const INTERNAL_ERROR = Object.freeze({ message: 'An unexpected error occurred' });
const ERROR_CODE = 'SLUICE_ERR_PLUGIN_FAILED';

/** One enabled plugin config. Shared by every runner it applies to. */
class Slot {
  readonly plugin: Plugin;
  readonly name: string;
  readonly priority: number;
  readonly rank: number;
  readonly routeId: string | null;
  readonly serviceId: string | null;
  readonly entry: InstanceEntry;

  constructor(plugin: Plugin, priority: number, entry: InstanceEntry) {
    this.plugin = plugin;
    this.name = plugin.name;
    this.priority = priority;
    this.routeId = plugin.route?.id ?? null;
    this.serviceId = plugin.service?.id ?? null;
    this.rank = rankOf(this.routeId !== null, this.serviceId !== null, plugin.consumer !== null);
    this.entry = entry;
  }
}

function rankOf(route: boolean, service: boolean, consumer: boolean): number {
  if (consumer) return route ? (service ? RANK_ROUTE_SERVICE_CONSUMER : RANK_ROUTE_CONSUMER) : service ? RANK_SERVICE_CONSUMER : RANK_CONSUMER;
  return route ? (service ? RANK_ROUTE_SERVICE : RANK_ROUTE) : service ? RANK_SERVICE : RANK_GLOBAL;
}

/** One plugin name in one runner's access order. */
class Cell {
  readonly name: string;
  readonly priority: number;
  /** The winner among configs that name no consumer, or null. */
  readonly base: Slot | null;
  /** Some consumer-scoped config of this name may apply here: look it up once the consumer is known. */
  readonly consumerScoped: boolean;

  constructor(name: string, priority: number, base: Slot | null, consumerScoped: boolean) {
    this.name = name;
    this.priority = priority;
    this.base = base;
    this.consumerScoped = consumerScoped;
  }
}

/** Per-request plugin state, kept on `ctx.plugins`. */
export class PluginRun {
  readonly runner: Runner;
  /** The config resolved for each cell of the runner (shared with the runner when no consumer scoping). */
  readonly slots: (Slot | null)[];
  done = false;

  constructor(runner: Runner, slots: (Slot | null)[]) {
    this.runner = runner;
    this.slots = slots;
  }
}

/** Where consumer-scoped configs of one name may apply (a cheap over-approximation per runner). */
class ConsumerScope {
  readonly priority: number;
  any = false;
  readonly routes = new Set<string>();
  readonly services = new Set<string>();

  constructor(priority: number) {
    this.priority = priority;
  }
}

type ByName = Map<string, Slot>;

class Memo {
  readonly serviceId: string | null;
  readonly runner: Runner | null;

  constructor(serviceId: string | null, runner: Runner | null) {
    this.serviceId = serviceId;
    this.runner = runner;
  }
}

class BuiltIterator implements PluginsIterator {
  readonly instances: PluginInstances;
  readonly env: PluginEnv;
  readonly size: number;
  readonly #global: ByName = new Map();
  readonly #byRoute = new Map<string, ByName>();
  readonly #byService = new Map<string, ByName>();
  readonly #byRouteService = new Map<string, Map<string, ByName>>();
  /** consumer id → name → configs, most specific first. */
  readonly byConsumer = new Map<string, Map<string, Slot[]>>();
  readonly #consumerScopes = new Map<string, ConsumerScope>();
  /** Global configs, by priority: the rewrite phase of every runner. */
  readonly #rewrite: Slot[];
  readonly #memo = new Map<string, Memo>();

  constructor(snapshot: Snapshot, registry: PluginRegistry, instances: PluginInstances, env: PluginEnv) {
    this.instances = instances;
    this.env = env;
    const plugins = snapshot.entities.plugins;
    // Sorted ids: should two configs share a name and scope (the config layer rejects that), the
    // same one wins on every worker and every rebuild.
    const ids = Object.keys(plugins).sort();
    let size = 0;
    for (const id of ids) {
      const plugin = plugins[id]!;
      if (!plugin.enabled) continue;
      const definition = registry.get(plugin.name);
      if (definition === undefined) {
        env.log.warn({ plugin: plugin.name, plugin_id: id }, 'plugin not available on this worker; config ignored');
        continue;
      }
      const hash = snapshot.entityHashes.plugins[id];
      if (hash === undefined) throw new TypeError(`plugin ${id} has no entity hash`);
      const slot = new Slot(plugin, definition.priority, instances.entry(plugin, hash, definition, env));
      this.#index(slot);
      size++;
    }
    this.size = size;
    this.#rewrite = [...this.#global.values()].sort(byPriority);
  }

  #index(slot: Slot): void {
    const { routeId, serviceId, name } = slot;
    const consumerId = slot.plugin.consumer?.id ?? null;
    if (consumerId !== null) {
      let byName = this.byConsumer.get(consumerId);
      if (byName === undefined) this.byConsumer.set(consumerId, (byName = new Map()));
      const list = byName.get(name);
      if (list === undefined) byName.set(name, [slot]);
      else {
        list.push(slot);
        list.sort(byRank);
      }
      let scope = this.#consumerScopes.get(name);
      if (scope === undefined) this.#consumerScopes.set(name, (scope = new ConsumerScope(slot.priority)));
      if (routeId !== null) scope.routes.add(routeId);
      else if (serviceId !== null) scope.services.add(serviceId);
      else scope.any = true;
      return;
    }
    let byName: ByName;
    if (routeId !== null && serviceId !== null) {
      let byService = this.#byRouteService.get(routeId);
      if (byService === undefined) this.#byRouteService.set(routeId, (byService = new Map()));
      byName = getOrMake(byService, serviceId);
    } else if (routeId !== null) {
      byName = getOrMake(this.#byRoute, routeId);
    } else if (serviceId !== null) {
      byName = getOrMake(this.#byService, serviceId);
    } else {
      byName = this.#global;
    }
    if (!byName.has(name)) byName.set(name, slot);
  }

  forRoute(route: Route, service: Service | null): PluginRunner | null {
    const serviceId = service === null ? null : service.id;
    const memo = this.#memo.get(route.id);
    if (memo !== undefined && memo.serviceId === serviceId) return memo.runner;
    const runner = this.#build(route.id, serviceId);
    this.#memo.set(route.id, new Memo(serviceId, runner));
    return runner;
  }

  /** Once per (route, service): the access order with each name's winning non-consumer config. */
  #build(routeId: string, serviceId: string | null): Runner | null {
    const routeService = serviceId === null ? undefined : this.#byRouteService.get(routeId)?.get(serviceId);
    const byRoute = this.#byRoute.get(routeId);
    const byService = serviceId === null ? undefined : this.#byService.get(serviceId);
    const names = new Set<string>(this.#global.keys());
    if (routeService !== undefined) for (const name of routeService.keys()) names.add(name);
    if (byRoute !== undefined) for (const name of byRoute.keys()) names.add(name);
    if (byService !== undefined) for (const name of byService.keys()) names.add(name);
    for (const [name, scope] of this.#consumerScopes) {
      if (scope.any || scope.routes.has(routeId) || (serviceId !== null && scope.services.has(serviceId))) names.add(name);
    }
    if (names.size === 0) return null;
    const cells: Cell[] = [];
    for (const name of names) {
      const base = routeService?.get(name) ?? byRoute?.get(name) ?? byService?.get(name) ?? this.#global.get(name) ?? null;
      const scope = this.#consumerScopes.get(name);
      const consumerScoped = scope !== undefined && (scope.any || scope.routes.has(routeId) || (serviceId !== null && scope.services.has(serviceId)));
      const priority = base?.priority ?? scope!.priority;
      cells.push(new Cell(name, priority, base, consumerScoped));
    }
    cells.sort(byPriority);
    return new Runner(this, routeId, serviceId, this.#rewrite, cells);
  }
}

function getOrMake(map: Map<string, ByName>, key: string): ByName {
  let byName = map.get(key);
  if (byName === undefined) map.set(key, (byName = new Map()));
  return byName;
}

function byRank(a: Slot, b: Slot): number {
  return a.rank - b.rank;
}

/** Higher priority first; ties by name, descending, as Kong's iterator orders them. */
function byPriority(a: { priority: number; name: string }, b: { priority: number; name: string }): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

class Runner implements PluginRunner {
  readonly #iterator: BuiltIterator;
  readonly #instances: PluginInstances;
  readonly #routeId: string;
  readonly #serviceId: string | null;
  readonly #rewrite: readonly Slot[];
  readonly #cells: readonly Cell[];
  /** Base slot of each cell; the per-request slots when no cell is consumer-scoped. */
  readonly #base: (Slot | null)[];
  readonly #consumerScoped: boolean;

  constructor(iterator: BuiltIterator, routeId: string, serviceId: string | null, rewrite: readonly Slot[], cells: readonly Cell[]) {
    this.#iterator = iterator;
    this.#instances = iterator.instances;
    this.#routeId = routeId;
    this.#serviceId = serviceId;
    this.#rewrite = rewrite;
    this.#cells = cells;
    const base: (Slot | null)[] = [];
    let consumerScoped = false;
    for (let i = 0; i < cells.length; i++) {
      base.push(cells[i]!.base);
      if (cells[i]!.consumerScoped) consumerScoped = true;
    }
    this.#base = base;
    this.#consumerScoped = consumerScoped;
  }

  before(ctx: RequestContext): void | Promise<void> {
    // Only consumer scoping makes the resolved list differ between requests of one runner.
    const run = new PluginRun(this, this.#consumerScoped ? this.#base.slice() : this.#base);
    ctx.plugins = run;
    const instances = this.#instances;
    const rewrite = this.#rewrite;
    const slots = run.slots;
    let missing = false;
    for (let i = 0; i < rewrite.length; i++) {
      const entry = rewrite[i]!.entry;
      instances.acquire(entry);
      if (entry.instance === null) missing = true;
    }
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (slot === null || slot === undefined) continue;
      instances.acquire(slot.entry);
      if (slot.entry.instance === null) missing = true;
    }
    if (missing) return this.#makeInstances(ctx, run);
    return this.#steps(ctx, run, 0);
  }

  /**
   * Cold path: makes every instance this request may use before any phase runs, so that plugins
   * after an early exit (an auth 401) still have an instance for their log phase (Kong logs them).
   */
  #makeInstances(ctx: RequestContext, run: PluginRun): void | Promise<void> {
    let waiting: { slot: Slot; pending: Promise<unknown> }[] | null = null;
    const rewrite = this.#rewrite;
    const slots = run.slots;
    const total = rewrite.length + slots.length;
    for (let i = 0; i < total; i++) {
      const slot = i < rewrite.length ? rewrite[i]! : slots[i - rewrite.length];
      if (slot === null || slot === undefined || slot.entry.instance !== null) continue;
      // A global config is in both lists: ask once.
      if (i >= rewrite.length && slot.rank === RANK_GLOBAL) continue;
      let made;
      try {
        made = this.#instances.instance(slot.entry);
      } catch (error) {
        return this.#fail(ctx, slot, 'init', error);
      }
      if (isThenable(made)) (waiting ??= []).push({ slot, pending: made });
    }
    if (waiting === null) return this.#steps(ctx, run, 0);
    return this.#afterCreates(ctx, run, waiting);
  }

  async #afterCreates(ctx: RequestContext, run: PluginRun, waiting: { slot: Slot; pending: Promise<unknown> }[]): Promise<void> {
    for (const { slot, pending } of waiting) {
      try {
        await pending;
      } catch (error) {
        return this.#fail(ctx, slot, 'init', error);
      }
    }
    const next = this.#steps(ctx, run, 0);
    if (next !== undefined) await next;
  }

  /**
   * Runs steps from `from` on, synchronously until one returns a thenable. Steps are numbered
   * across both phases: rewrite slots first, then access cells.
   */
  #steps(ctx: RequestContext, run: PluginRun, from: number): void | Promise<void> {
    const rewrite = this.#rewrite;
    const total = rewrite.length + this.#cells.length;
    for (let step = from; step < total; step++) {
      if (ctx.exited || run.done) return;
      const inRewrite = step < rewrite.length;
      const slot = inRewrite ? rewrite[step]! : this.#resolve(ctx, run, step - rewrite.length);
      if (slot === null) continue;
      let instance = slot.entry.instance;
      if (instance === null) {
        let made;
        try {
          made = this.#instances.instance(slot.entry);
        } catch (error) {
          return this.#fail(ctx, slot, 'init', error);
        }
        if (isThenable(made)) return this.#afterCreate(ctx, run, step, slot, made);
        instance = made;
      }
      let result: void | Promise<void>;
      try {
        if (inRewrite) {
          if (instance.rewrite === undefined) continue;
          result = instance.rewrite(ctx);
        } else {
          if (instance.access === undefined) continue;
          result = instance.access(ctx);
        }
      } catch (error) {
        return this.#fail(ctx, slot, inRewrite ? 'rewrite' : 'access', error);
      }
      if (isThenable(result)) return this.#afterPhase(ctx, run, step, slot, result);
    }
  }

  async #afterCreate(ctx: RequestContext, run: PluginRun, step: number, slot: Slot, pending: Promise<unknown>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      return this.#fail(ctx, slot, 'init', error);
    }
    // The same step again, now that its instance exists.
    const next = this.#steps(ctx, run, step);
    if (next !== undefined) await next;
  }

  async #afterPhase(ctx: RequestContext, run: PluginRun, step: number, slot: Slot, pending: PromiseLike<void>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      return this.#fail(ctx, slot, step < this.#rewrite.length ? 'rewrite' : 'access', error);
    }
    const next = this.#steps(ctx, run, step + 1);
    if (next !== undefined) await next;
  }

  /** The config of cell `index` for this request: consumer-scoped ones are looked up once a consumer is known. */
  #resolve(ctx: RequestContext, run: PluginRun, index: number): Slot | null {
    const current = run.slots[index]!;
    const cell = this.#cells[index]!;
    const consumer = ctx.consumer;
    if (!cell.consumerScoped || consumer === null) return current;
    const list = this.#iterator.byConsumer.get(consumer.id)?.get(cell.name);
    if (list === undefined) return current;
    const baseRank = cell.base === null ? RANK_NONE : cell.base.rank;
    let chosen: Slot | null = null;
    for (let i = 0; i < list.length; i++) {
      const slot = list[i]!;
      // Ranked lists: once past the base's rank, the base wins (route+service beats consumer alone).
      if (slot.rank >= baseRank) break;
      if ((slot.routeId === null || slot.routeId === this.#routeId) && (slot.serviceId === null || slot.serviceId === this.#serviceId)) {
        chosen = slot;
        break;
      }
    }
    if (chosen === null || chosen === current) return current;
    this.#instances.acquire(chosen.entry);
    if (current !== null) this.#instances.release(current.entry);
    run.slots[index] = chosen;
    return chosen;
  }

  response(ctx: RequestContext, upstream: UpstreamResponse): void {
    const run = ctx.plugins;
    if (run === null || run.runner !== this) return;
    const slots = run.slots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (slot === null || slot === undefined) continue;
      const instance = slot.entry.instance;
      if (instance === null || instance.response === undefined) continue;
      try {
        instance.response(ctx, upstream);
      } catch (error) {
        return this.#fail(ctx, slot, 'response', error);
      }
    }
  }

  after(ctx: RequestContext): void {
    const run = ctx.plugins;
    if (run === null || run.runner !== this || run.done) return;
    run.done = true;
    const instances = this.#instances;
    const slots = run.slots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (slot === null || slot === undefined) continue;
      const instance = slot.entry.instance;
      if (instance !== null && instance.log !== undefined) {
        try {
          const result = instance.log(ctx);
          if (isThenable(result)) result.then(undefined, (error: unknown) => this.#logFailed(ctx, slot, error));
        } catch (error) {
          this.#logFailed(ctx, slot, error);
        }
      }
    }
    const rewrite = this.#rewrite;
    for (let i = 0; i < rewrite.length; i++) instances.release(rewrite[i]!.entry);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (slot !== null && slot !== undefined) instances.release(slot.entry);
    }
  }

  /** One log line (a failed creation was logged once already), then 500 unless the answer has started. */
  #fail(ctx: RequestContext, slot: Slot, phase: string, error: unknown): void {
    if (!(error instanceof PluginCreateError)) {
      this.#iterator.env.log.error(
        { err: error, code: ERROR_CODE, plugin: slot.name, plugin_id: slot.plugin.id, phase, route: ctx.route?.name ?? this.#routeId },
        `plugin ${slot.name} failed in ${phase}`,
      );
    }
    if (!ctx.exited) ctx.exit(500, INTERNAL_ERROR);
  }

  #logFailed(ctx: RequestContext, slot: Slot, error: unknown): void {
    this.#iterator.env.log.error(
      { err: error, code: ERROR_CODE, plugin: slot.name, plugin_id: slot.plugin.id, phase: 'log', route: ctx.route?.name ?? this.#routeId },
      `plugin ${slot.name} failed in log`,
    );
  }
}

/**
 * Builds the iterator for a config. Instances come from `instances`, keyed by plugin id + entity
 * hash, so plugins unchanged since the previous iterator keep theirs.
 */
export function buildPluginsIterator(snapshot: Snapshot, registry: PluginRegistry, instances: PluginInstances, env: PluginEnv): PluginsIterator {
  return new BuiltIterator(snapshot, registry, instances, env);
}
