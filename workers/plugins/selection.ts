// Runs on a worker thread: which plugin configs apply to a request — Kong's precedence, per plugin
// name, most specific first:
//   route+service+consumer, route+consumer, service+consumer, route+service, consumer, route,
//   service, global.
// The index is updated in place, one config at a time (`add` / `remove`), so a plugin change costs
// the few maps of its own scope, never a rebuild of the others.
//
// The consumer is known only once an auth plugin has run, so, as in Kong, a name that has
// consumer-scoped configs is resolved again at its turn in the access phase (`forConsumer`) with
// the consumer set by the higher-priority plugins before it.
import { byPriority, byRank, RANK_NONE, type ConfiguredPlugin } from './configured.ts';
import type { PhaseName } from './types.ts';

/** One plugin name on one (route, service): its winning non-consumer config, and whether a consumer-scoped one may replace it. */
export class PluginChoice {
  readonly name: string;
  readonly priority: number;
  readonly phases: ReadonlySet<PhaseName>;
  /** The winner among configs that name no consumer, or null. */
  readonly base: ConfiguredPlugin | null;
  /** A consumer-scoped config of this name may apply here: look it up once the consumer is known. */
  readonly consumerScoped: boolean;
  readonly baseRank: number;

  constructor(name: string, priority: number, phases: ReadonlySet<PhaseName>, base: ConfiguredPlugin | null, consumerScoped: boolean) {
    this.name = name;
    this.priority = priority;
    this.phases = phases;
    this.base = base;
    this.consumerScoped = consumerScoped;
    this.baseRank = base === null ? RANK_NONE : base.rank;
  }
}

/** Where the consumer-scoped configs of one name may apply (per route or service, or anywhere), with counts so removal is exact. */
class ConsumerScopes {
  readonly priority: number;
  readonly phases: ReadonlySet<PhaseName>;
  anywhere = 0;
  readonly routes = new Map<string, number>();
  readonly services = new Map<string, number>();
  total = 0;

  constructor(priority: number, phases: ReadonlySet<PhaseName>) {
    this.priority = priority;
    this.phases = phases;
  }

  appliesTo(routeId: string, serviceId: string | null): boolean {
    return this.anywhere > 0 || this.routes.has(routeId) || (serviceId !== null && this.services.has(serviceId));
  }
}

type ByName = Map<string, ConfiguredPlugin>;

export class PrecedenceIndex {
  readonly #global: ByName = new Map();
  readonly #byRoute = new Map<string, ByName>();
  readonly #byService = new Map<string, ByName>();
  readonly #byRouteService = new Map<string, Map<string, ByName>>();
  /** consumer id → name → configs, most specific first. */
  readonly #byConsumer = new Map<string, Map<string, ConfiguredPlugin[]>>();
  readonly #consumerScopes = new Map<string, ConsumerScopes>();
  /** Global configs that have a rewrite phase, by priority; null until asked after a change. */
  #rewrite: readonly ConfiguredPlugin[] | null = null;
  /** Configs indexed. */
  size = 0;

  add(config: ConfiguredPlugin): void {
    this.size++;
    const { routeId, serviceId, consumerId, name } = config;
    if (consumerId !== null) {
      let byName = this.#byConsumer.get(consumerId);
      if (byName === undefined) this.#byConsumer.set(consumerId, (byName = new Map()));
      const list = byName.get(name);
      if (list === undefined) byName.set(name, [config]);
      else {
        list.push(config);
        list.sort(byRank);
      }
      let scopes = this.#consumerScopes.get(name);
      if (scopes === undefined) this.#consumerScopes.set(name, (scopes = new ConsumerScopes(config.priority, config.phases)));
      scopes.total++;
      if (routeId !== null) increment(scopes.routes, routeId);
      else if (serviceId !== null) increment(scopes.services, serviceId);
      else scopes.anywhere++;
      return;
    }
    const byName = this.#mapFor(routeId, serviceId, true)!;
    const present = byName.get(name);
    // Two configs of one name and scope are refused by the config layer; should they meet here,
    // the smaller id wins on every worker, whatever the order they arrived in.
    if (present === undefined || config.id < present.id) byName.set(name, config);
    if (routeId === null && serviceId === null) this.#rewrite = null;
  }

  remove(config: ConfiguredPlugin): void {
    this.size--;
    const { routeId, serviceId, consumerId, name } = config;
    if (consumerId !== null) {
      const byName = this.#byConsumer.get(consumerId);
      const list = byName?.get(name);
      if (byName === undefined || list === undefined) return;
      const at = list.indexOf(config);
      if (at !== -1) list.splice(at, 1);
      if (list.length === 0) byName.delete(name);
      if (byName.size === 0) this.#byConsumer.delete(consumerId);
      const scopes = this.#consumerScopes.get(name);
      if (scopes === undefined) return;
      if (routeId !== null) decrement(scopes.routes, routeId);
      else if (serviceId !== null) decrement(scopes.services, serviceId);
      else scopes.anywhere--;
      if (--scopes.total === 0) this.#consumerScopes.delete(name);
      return;
    }
    const byName = this.#mapFor(routeId, serviceId, false);
    if (byName === undefined || byName.get(name) !== config) return;
    byName.delete(name);
    if (byName.size === 0) this.#dropEmpty(routeId, serviceId);
    if (routeId === null && serviceId === null) this.#rewrite = null;
  }

  #mapFor(routeId: string | null, serviceId: string | null, make: boolean): ByName | undefined {
    if (routeId !== null && serviceId !== null) {
      let byService = this.#byRouteService.get(routeId);
      if (byService === undefined) {
        if (!make) return undefined;
        this.#byRouteService.set(routeId, (byService = new Map()));
      }
      return getOrMake(byService, serviceId, make);
    }
    if (routeId !== null) return getOrMake(this.#byRoute, routeId, make);
    if (serviceId !== null) return getOrMake(this.#byService, serviceId, make);
    return this.#global;
  }

  /** Empty maps go, so an index that saw many routes come and go holds only the live ones. */
  #dropEmpty(routeId: string | null, serviceId: string | null): void {
    if (routeId !== null && serviceId !== null) {
      const byService = this.#byRouteService.get(routeId)!;
      byService.delete(serviceId);
      if (byService.size === 0) this.#byRouteService.delete(routeId);
    } else if (routeId !== null) this.#byRoute.delete(routeId);
    else if (serviceId !== null) this.#byService.delete(serviceId);
  }

  /** Global configs with a rewrite phase, by priority: the rewrite phase of every route. */
  get rewrite(): readonly ConfiguredPlugin[] {
    if (this.#rewrite === null) {
      const list: ConfiguredPlugin[] = [];
      for (const config of this.#global.values()) if (config.phases.has('rewrite')) list.push(config);
      this.#rewrite = list.sort(byPriority);
    }
    return this.#rewrite;
  }

  /** The names that apply to a (route, service), by priority, each with its winning non-consumer config. Empty when none. */
  choices(routeId: string, serviceId: string | null): PluginChoice[] {
    const routeService = serviceId === null ? undefined : this.#byRouteService.get(routeId)?.get(serviceId);
    const byRoute = this.#byRoute.get(routeId);
    const byService = serviceId === null ? undefined : this.#byService.get(serviceId);
    const names = new Set<string>(this.#global.keys());
    if (routeService !== undefined) for (const name of routeService.keys()) names.add(name);
    if (byRoute !== undefined) for (const name of byRoute.keys()) names.add(name);
    if (byService !== undefined) for (const name of byService.keys()) names.add(name);
    for (const [name, scopes] of this.#consumerScopes) if (scopes.appliesTo(routeId, serviceId)) names.add(name);
    const choices: PluginChoice[] = [];
    for (const name of names) {
      const base = routeService?.get(name) ?? byRoute?.get(name) ?? byService?.get(name) ?? this.#global.get(name) ?? null;
      const scopes = this.#consumerScopes.get(name);
      const consumerScoped = scopes !== undefined && scopes.appliesTo(routeId, serviceId);
      const priority = base?.priority ?? scopes!.priority;
      const phases = base?.phases ?? scopes!.phases;
      choices.push(new PluginChoice(name, priority, phases, base, consumerScoped));
    }
    return choices.sort(byPriority);
  }

  /** The consumer-scoped config of `choice.name` that beats its base for this consumer on this (route, service), or null. */
  forConsumer(consumerId: string, choice: PluginChoice, routeId: string, serviceId: string | null): ConfiguredPlugin | null {
    const list = this.#byConsumer.get(consumerId)?.get(choice.name);
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const config = list[i]!;
      // Ranked lists: once past the base's rank, the base wins (route+service beats consumer alone).
      if (config.rank >= choice.baseRank) return null;
      if ((config.routeId === null || config.routeId === routeId) && (config.serviceId === null || config.serviceId === serviceId)) return config;
    }
    return null;
  }
}

function getOrMake(map: Map<string, ByName>, key: string, make: boolean): ByName | undefined {
  let byName = map.get(key);
  if (byName === undefined && make) map.set(key, (byName = new Map()));
  return byName;
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function decrement(map: Map<string, number>, key: string): void {
  const left = (map.get(key) ?? 1) - 1;
  if (left === 0) map.delete(key);
  else map.set(key, left);
}
