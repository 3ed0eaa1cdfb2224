// Primary thread: Kong's kong_upstream_target_health, computed from the config.
//
// Kong exports it while at least one prometheus plugin has `upstream_health_metrics` on (and, a
// Kong quirk, until the next reload after it is turned off); Sluice reads the current config, so
// turning it off takes effect at once. Each target gets one line per state — healthchecks_off,
// healthy, unhealthy, dns_error — valued 1 for its state and 0 for the others, as Kong does.
// The state comes from the shared upstream memory (runtime/health/view.ts): healthchecks_off when
// the upstream checks nothing and no manual override marked the target down. Kong labels `address`
// with each resolved ip:port; Sluice reports the target's host:port as configured (port 8000 when
// none, Kong's default).
import type { Snapshot, Target, Upstream } from '../../config/types.ts';

/** The health of one target, as runtime/health/view.ts reads it. */
export type TargetHealthOf = { of(upstream: Upstream, target: Target): 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR' };

export const HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;

export interface TargetHealthLine {
  upstream: string;
  target: string;
  address: string;
  state: (typeof HEALTH_STATES)[number];
  value: 0 | 1;
}

/** True when an enabled `prometheus` plugin asks for upstream health metrics. */
export function upstreamHealthWanted(snapshot: Snapshot): boolean {
  const plugins = snapshot.entities.plugins;
  for (const id in plugins) {
    const plugin = plugins[id]!;
    if (plugin.name === 'prometheus' && plugin.enabled && plugin.config.upstream_health_metrics === true) return true;
  }
  return false;
}

export function targetHealthLines(snapshot: Snapshot, health?: TargetHealthOf): TargetHealthLine[] {
  const lines: TargetHealthLine[] = [];
  const upstreams = snapshot.entities.upstreams;
  const targets = snapshot.entities.targets;
  for (const id in targets) {
    const target = targets[id]!;
    const upstream = upstreams[target.upstream.id];
    if (upstream === undefined) continue;
    const address = withPort(target.target);
    const now = health === undefined ? 'healthchecks_off' : health.of(upstream, target).toLowerCase();
    for (const state of HEALTH_STATES) {
      lines.push({ upstream: upstream.name, target: target.target, address, state, value: state === now ? 1 : 0 });
    }
  }
  return lines;
}

/** `host:port`, adding Kong's default target port when none is given (`[v6]`, `v4`, `name`). */
function withPort(target: string): string {
  if (target.startsWith('[')) return target.includes(']:') ? target : `${target}:8000`;
  const colons = target.split(':').length - 1;
  if (colons === 0) return `${target}:8000`;
  // A bare IPv6 address without brackets: bracket it, as an address label would read.
  if (colons > 1) return `[${target}]:8000`;
  return target;
}
