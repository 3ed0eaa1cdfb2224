// What a config change did to the router's inputs (worker thread, once per config change).
// From the delta the new snapshot was applied from when there is one (O(changed entities)); for a
// full snapshot (gap recovery) by comparing the entity hashes of the routes and services groups,
// and only when a group's hash changed.
import { deltaOf } from '../../config/apply.ts';
import type { Route, Snapshot } from '../../config/types.ts';
import type { RouterChanges } from './types.ts';

export interface CountedChanges extends RouterChanges {
  /** Route and service entities the change named: the k of "updated (k entities)". */
  readonly entities: number;
}

export function routerChanges(before: Snapshot, after: Snapshot): CountedChanges {
  const delta = deltaOf(after);
  if (delta !== undefined && delta.fromVersion === before.version) {
    const routes = delta.upserts.routes ?? [];
    const removedRoutes = delta.removes.routes ?? [];
    const services = [...(delta.upserts.services ?? []).map((s) => s.id), ...(delta.removes.services ?? [])];
    return { routes, removedRoutes, services, entities: routes.length + removedRoutes.length + services.length };
  }
  const routes: Route[] = [];
  const removedRoutes: string[] = [];
  const services: string[] = [];
  if (before.groupHashes.routes !== after.groupHashes.routes) {
    const was = before.entityHashes.routes;
    const now = after.entityHashes.routes;
    for (const id in now) if (was[id] !== now[id]) routes.push(after.entities.routes[id]!);
    for (const id in was) if (now[id] === undefined) removedRoutes.push(id);
  }
  if (before.groupHashes.services !== after.groupHashes.services) {
    const was = before.entityHashes.services;
    const now = after.entityHashes.services;
    for (const id in now) if (was[id] !== now[id]) services.push(id);
    for (const id in was) if (now[id] === undefined) services.push(id);
  }
  return { routes, removedRoutes, services, entities: routes.length + removedRoutes.length + services.length };
}
