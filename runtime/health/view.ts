// The health of every target as Kong's Admin API and metrics report it (primary thread), read from
// the shared upstream memory: HEALTHCHECKS_OFF when the upstream checks nothing (and no manual
// override marked the target down), else HEALTHY or UNHEALTHY. Also Kong's manual overrides.
import { healthchecksOn } from '../../config/health.ts';
import type { Snapshot, Target, Upstream } from '../../config/types.ts';
import type { DnsMemory } from '../protocol/dns-memory.ts';
import { HEALTHY, UNHEALTHY } from '../protocol/upstream-memory.ts';
import type { TargetSlots } from './slots.ts';

export type TargetHealth = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR';

export class HealthView {
  readonly slots: TargetSlots;
  readonly #dns: DnsMemory | null;

  constructor(slots: TargetSlots, dns: DnsMemory | null = null) {
    this.slots = slots;
    this.#dns = dns;
  }

  of(upstream: Upstream, target: Target): TargetHealth {
    // A name whose lookup has no usable answer (Kong's DNS_ERROR): the target has no address.
    if (this.#dns !== null) {
      const colon = target.target.lastIndexOf(':');
      const host = colon === -1 ? target.target : target.target.slice(0, colon);
      if (this.#dns.read()?.answers[host.toLowerCase()] === null) return 'DNS_ERROR';
    }
    const entry = this.slots.get(upstream.id, target.target);
    const down = entry !== undefined && !this.slots.memory.healthy(entry.slot);
    if (down) return 'UNHEALTHY';
    return healthchecksOn(upstream) ? 'HEALTHY' : 'HEALTHCHECKS_OFF';
  }

  /** Kong's POST .../targets/{target}/healthy|unhealthy: sets the state and restarts the counters. */
  set(upstream: Upstream, target: Target, healthy: boolean): boolean {
    const entry = this.slots.get(upstream.id, target.target);
    if (entry === undefined) return false;
    this.slots.memory.resetSlot(entry.slot, healthy ? HEALTHY : UNHEALTHY);
    return true;
  }
}

/** An upstream by id or by name, as Kong's Admin API takes either. */
export function findUpstream(snapshot: Snapshot, idOrName: string): Upstream | undefined {
  const upstreams = snapshot.entities.upstreams;
  const byId = upstreams[idOrName];
  if (byId !== undefined) return byId;
  for (const id in upstreams) if (upstreams[id]!.name === idOrName) return upstreams[id];
  return undefined;
}

/** A target of `upstream` by id or by its `host:port` (Kong's default port 8000 when none given). */
export function findTarget(snapshot: Snapshot, upstream: Upstream, idOrTarget: string): Target | undefined {
  const targets = snapshot.entities.targets;
  const byId = targets[idOrTarget];
  if (byId !== undefined && byId.upstream.id === upstream.id) return byId;
  const wanted = /:\d+$/.test(idOrTarget) && !idOrTarget.endsWith(']') ? idOrTarget : `${idOrTarget}:8000`;
  for (const id in targets) {
    const target = targets[id]!;
    if (target.upstream.id === upstream.id && (target.target === idOrTarget || target.target === wanted)) return target;
  }
  return undefined;
}
