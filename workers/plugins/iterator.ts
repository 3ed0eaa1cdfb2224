// Runs on a worker thread: the plugins iterator — the precedence index of every enabled plugin
// config (selection.ts), the compiled phase lists per route (compiled-routes.ts, route-plugins.ts)
// and the phase runner (runner.ts), kept together and updated in place.
//
// A change of k plugins costs O(k): each changed config leaves and re-enters the index, and only
// the compiled lists of the routes it applies to are dropped (a global config: all of them, the
// index untouched). Unchanged configs keep their ConfiguredPlugin and instance entry, hence their
// instance and its state. In-place is safe because a request reads the iterator once, when it
// starts (`forRoute`), and then holds immutable compiled lists; consumer-scoped configs are read
// from the index at their turn in access, so a consumer-scoped change reaches a request that is
// still in its access phase.
import type { Plugin, Route, Service, Snapshot } from '../../config/types.ts';
import { ConfiguredPlugin } from './configured.ts';
import { CompiledRoutes } from './compiled-routes.ts';
import type { PluginInstances } from './instances.ts';
import type { PluginRegistry } from './registry.ts';
import { RoutePlugins, type PluginRunner } from './route-plugins.ts';
import { PhaseRunner } from './runner.ts';
import { PrecedenceIndex } from './selection.ts';
import type { PluginEnv } from './types.ts';

export type { PluginRunner } from './route-plugins.ts';
export type { PluginRun } from './runner.ts';

/** What changed since the snapshot the iterator holds: plugin ids upserted or removed, routes removed. */
export interface PluginChanges {
  readonly plugins: Iterable<string>;
  readonly removedRoutes: Iterable<string>;
}

export class PluginsIterator {
  readonly #registry: PluginRegistry;
  readonly #instances: PluginInstances;
  readonly #env: PluginEnv;
  readonly #index = new PrecedenceIndex();
  readonly #runner: PhaseRunner;
  readonly #compiled = new CompiledRoutes();
  /** plugin id → its config in the index. */
  readonly #configs = new Map<string, ConfiguredPlugin>();

  constructor(registry: PluginRegistry, instances: PluginInstances, env: PluginEnv) {
    this.#registry = registry;
    this.#instances = instances;
    this.#env = env;
    this.#runner = new PhaseRunner(instances, this.#index, env);
  }

  /** Enabled plugin configs in the index. */
  get size(): number {
    return this.#index.size;
  }

  /** Routes whose phase lists are compiled now (for tests and /workers). */
  get compiledRoutes(): number {
    return this.#compiled.size;
  }

  /** The runner for requests matched to this route (and its service), or null when no plugin applies. */
  forRoute(route: Route, service: Service | null): PluginRunner | null {
    const serviceId = service === null ? null : service.id;
    const compiled = this.#compiled.get(route.id, serviceId);
    if (compiled !== undefined) return compiled;
    const choices = this.#index.choices(route.id, serviceId);
    const plugins = choices.length === 0 ? null : new RoutePlugins(this.#runner, route.id, serviceId, this.#index.rewrite, choices);
    this.#compiled.set(route.id, serviceId, plugins);
    return plugins;
  }

  /**
   * The configs that would run on this route for this consumer, by priority (name and plugin id):
   * what a request sees, for diagnostics and for tests that compare an updated iterator with a
   * fresh one.
   */
  explain(route: Route, service: Service | null, consumerId: string | null): { name: string; id: string }[] {
    const plugins = this.forRoute(route, service) as RoutePlugins | null;
    if (plugins === null) return [];
    const out: { name: string; id: string }[] = [];
    for (const choice of plugins.choices) {
      const chosen = (consumerId !== null && choice.consumerScoped ? this.#index.forConsumer(consumerId, choice, route.id, plugins.serviceId) : null) ?? choice.base;
      if (chosen !== null) out.push({ name: chosen.name, id: chosen.id });
    }
    return out;
  }

  /** Every plugin of `snapshot`, into an empty iterator. */
  load(snapshot: Snapshot): void {
    // Sorted ids: should two configs share a name and scope (the config layer refuses that), the
    // same one wins on every worker and every load.
    const plugins = snapshot.entities.plugins;
    for (const id of Object.keys(plugins).sort()) this.#put(snapshot, id);
  }

  /**
   * Applies `changes` (the snapshot is the one after them). Returns how many plugin configs it
   * touched. On a throw the iterator is half-updated: the caller builds a new one instead.
   */
  update(snapshot: Snapshot, changes: PluginChanges): number {
    // Every old config leaves before any new one enters: within one delta a config may take the
    // scope another one leaves, and the index holds one config per name and scope.
    const ids = [...changes.plugins];
    for (const id of ids) {
      const old = this.#configs.get(id);
      if (old === undefined) continue;
      this.#configs.delete(id);
      this.#index.remove(old);
      this.#drop(old);
    }
    for (const id of ids) this.#put(snapshot, id);
    for (const routeId of changes.removedRoutes) this.#compiled.dropRoute(routeId);
    return ids.length;
  }

  #put(snapshot: Snapshot, id: string): void {
    const plugin: Plugin | undefined = snapshot.entities.plugins[id];
    if (plugin === undefined || !plugin.enabled) return;
    const definition = this.#registry.get(plugin.name);
    if (definition === undefined) {
      this.#env.log.warn({ plugin: plugin.name, plugin_id: id }, 'plugin not available on this worker; config ignored');
      return;
    }
    const hash = snapshot.entityHashes.plugins[id];
    if (hash === undefined) throw new TypeError(`plugin ${id} has no entity hash`);
    const config = new ConfiguredPlugin(plugin, definition.priority, definition.phases, this.#instances.entry(plugin, hash, definition, this.#env));
    this.#configs.set(id, config);
    this.#index.add(config);
    this.#drop(config);
  }

  /** Drops the compiled lists `config` may appear in. */
  #drop(config: ConfiguredPlugin): void {
    if (config.routeId !== null) this.#compiled.dropRoute(config.routeId);
    else if (config.serviceId !== null) this.#compiled.dropService(config.serviceId);
    else this.#compiled.dropAll();
  }
}

/**
 * A new iterator holding every plugin of `snapshot`. Instances come from `instances`, keyed by
 * plugin id + entity hash, so plugins unchanged since the previous iterator keep theirs.
 */
export function buildPluginsIterator(snapshot: Snapshot, registry: PluginRegistry, instances: PluginInstances, env: PluginEnv): PluginsIterator {
  const iterator = new PluginsIterator(registry, instances, env);
  iterator.load(snapshot);
  return iterator;
}
