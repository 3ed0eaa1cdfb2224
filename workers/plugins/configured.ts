// Runs on a worker thread: one enabled plugin config as the iterator holds it — its scope, its
// rank in Kong's precedence, and the instance entry it runs with. Shared by every compiled route
// it applies to; replaced (not changed) when its config changes.
import type { Plugin } from '../../config/types.ts';
import type { InstanceEntry } from './instances.ts';
import type { PhaseName } from './types.ts';

// Kong's lookup order, as ranks: lower wins.
export const RANK_ROUTE_SERVICE_CONSUMER = 1;
export const RANK_ROUTE_CONSUMER = 2;
export const RANK_SERVICE_CONSUMER = 3;
export const RANK_ROUTE_SERVICE = 4;
export const RANK_CONSUMER = 5;
export const RANK_ROUTE = 6;
export const RANK_SERVICE = 7;
export const RANK_GLOBAL = 8;
export const RANK_NONE = 9;

export class ConfiguredPlugin {
  readonly plugin: Plugin;
  readonly id: string;
  readonly name: string;
  readonly priority: number;
  readonly phases: ReadonlySet<PhaseName>;
  readonly rank: number;
  readonly routeId: string | null;
  readonly serviceId: string | null;
  readonly consumerId: string | null;
  readonly entry: InstanceEntry;

  constructor(plugin: Plugin, priority: number, phases: ReadonlySet<PhaseName>, entry: InstanceEntry) {
    this.plugin = plugin;
    this.id = plugin.id;
    this.name = plugin.name;
    this.priority = priority;
    this.phases = phases;
    this.routeId = plugin.route?.id ?? null;
    this.serviceId = plugin.service?.id ?? null;
    this.consumerId = plugin.consumer?.id ?? null;
    this.rank = rankOf(this.routeId !== null, this.serviceId !== null, this.consumerId !== null);
    this.entry = entry;
  }

  /** Applies to requests of any route and service (consumer-scoped or not). */
  get isGlobal(): boolean {
    return this.routeId === null && this.serviceId === null;
  }
}

function rankOf(route: boolean, service: boolean, consumer: boolean): number {
  if (consumer) return route ? (service ? RANK_ROUTE_SERVICE_CONSUMER : RANK_ROUTE_CONSUMER) : service ? RANK_SERVICE_CONSUMER : RANK_CONSUMER;
  return route ? (service ? RANK_ROUTE_SERVICE : RANK_ROUTE) : service ? RANK_SERVICE : RANK_GLOBAL;
}

/** Higher priority first; ties by name, descending, as Kong's iterator orders them. */
export function byPriority(a: { priority: number; name: string }, b: { priority: number; name: string }): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

/** Most specific first; equal scopes (which the config layer refuses) by id, so every worker agrees. */
export function byRank(a: ConfiguredPlugin, b: ConfiguredPlugin): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
