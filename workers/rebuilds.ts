// Counts every rebuild of a worker component by reason (worker thread), so "a target churn rebuilt
// no plugins iterator" is a number anyone can read in /workers and /metrics.

export type Component = 'router' | 'plugins' | 'balancer' | 'credentials';

export class RebuildCounter {
  /** component → reason → count. Plain objects: they cross threads as is. */
  readonly counts: Record<Component, Record<string, number>> = { router: {}, plugins: {}, balancer: {}, credentials: {} };

  count(component: Component, reason: string): void {
    const byReason = this.counts[component];
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }

  total(component: Component): number {
    let sum = 0;
    for (const reason in this.counts[component]) sum += this.counts[component][reason]!;
    return sum;
  }
}
