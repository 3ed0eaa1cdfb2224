// What an upstream's `healthchecks` turn on, as Kong reads them. Pure; any thread.
// Active checks run when either interval is above 0; passive checks when any unhealthy threshold
// is above 0. With neither, Kong reports the targets as HEALTHCHECKS_OFF.
import type { Upstream, UpstreamHealthchecks } from './types.ts';

export function healthchecksOf(upstream: Upstream): UpstreamHealthchecks {
  // Validation filled every nested default (config/schemas/upstreams.ts).
  return upstream.healthchecks as unknown as UpstreamHealthchecks;
}

export function activeEnabled(checks: UpstreamHealthchecks): boolean {
  return checks.active.healthy.interval > 0 || checks.active.unhealthy.interval > 0;
}

export function passiveEnabled(checks: UpstreamHealthchecks): boolean {
  const u = checks.passive.unhealthy;
  return u.tcp_failures > 0 || u.timeouts > 0 || u.http_failures > 0;
}

export function healthchecksOn(upstream: Upstream): boolean {
  const checks = healthchecksOf(upstream);
  return activeEnabled(checks) || passiveEnabled(checks);
}
