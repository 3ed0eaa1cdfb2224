// Counts how each worker component followed a config change (worker thread), so "a target churn
// rebuilt no plugins iterator" and "a route change updated 1 route, rebuilt nothing" are numbers
// anyone can read in /workers and /metrics.
//
// Two ways a component follows a change:
//   rebuilt — built again from the whole config (first build, `--rebuild-all`, too much changed);
//   updated — the compiled structure was edited in place for the k entities that changed.
// `reason` is the config groups whose hash changed (`routes+services`), or `initial`/`rebuild-all`.

/** `service-targets`: the addresses of one service whose host is a DNS name (dns/service-hosts.ts). */
export type Component = 'router' | 'plugins' | 'balancer' | 'service-targets' | 'credentials' | 'tls';
export type RebuildKind = 'rebuilt' | 'updated';

/** How often a component was updated for one reason, and how many entities those updates touched in all. */
export interface UpdateCount {
  times: number;
  entities: number;
}

export class RebuildCounter {
  /** component → reason → full rebuilds. Plain objects: they cross threads as is. */
  readonly counts: Record<Component, Record<string, number>> = { router: {}, plugins: {}, balancer: {}, 'service-targets': {}, credentials: {}, tls: {} };
  /** component → reason → in-place updates and the entities they touched. */
  readonly updates: Record<Component, Record<string, UpdateCount>> = { router: {}, plugins: {}, balancer: {}, 'service-targets': {}, credentials: {}, tls: {} };

  /** `component` was rebuilt from the whole config. */
  count(component: Component, reason: string): void {
    const byReason = this.counts[component];
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }

  /** `component` was updated in place for `entities` changed entities (the delta's k, not the config's size). */
  updated(component: Component, reason: string, entities: number): void {
    const byReason = this.updates[component];
    const entry = (byReason[reason] ??= { times: 0, entities: 0 });
    entry.times++;
    entry.entities += entities;
  }

  /** Full rebuilds of `component`, all reasons. */
  total(component: Component): number {
    let sum = 0;
    for (const reason in this.counts[component]) sum += this.counts[component][reason]!;
    return sum;
  }

  /** In-place updates of `component`, all reasons. */
  totalUpdates(component: Component): number {
    let sum = 0;
    for (const reason in this.updates[component]) sum += this.updates[component][reason]!.times;
    return sum;
  }
}
