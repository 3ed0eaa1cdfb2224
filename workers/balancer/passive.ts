// Passive health checks of one upstream (worker thread), Kong's `healthchecks.passive`: the outcome
// of each real request feeds the target's state machine in the shared upstream memory, so failures
// seen by all workers together trip it, and every worker skips it from then on. Statuses are looked
// up in tables built once per balancer, not searched per request.
import { healthchecksOf, passiveEnabled } from '../../config/health.ts';
import type { Upstream } from '../../config/types.ts';
import type { Peer } from './peer.ts';

export class PassiveHealth {
  readonly #healthy = new Uint8Array(1000);
  readonly #unhealthy = new Uint8Array(1000);
  readonly successes: number;
  readonly httpFailures: number;
  readonly tcpFailures: number;
  readonly timeouts: number;

  constructor(upstream: Upstream) {
    const passive = healthchecksOf(upstream).passive;
    for (const status of passive.healthy.http_statuses) this.#healthy[status] = 1;
    for (const status of passive.unhealthy.http_statuses) this.#unhealthy[status] = 1;
    this.successes = passive.healthy.successes;
    this.httpFailures = passive.unhealthy.http_failures;
    this.tcpFailures = passive.unhealthy.tcp_failures;
    this.timeouts = passive.unhealthy.timeouts;
  }

  /** The peer answered with `status`; a status in neither list counts for nothing, as in Kong. */
  status(peer: Peer, status: number): void {
    if (this.#unhealthy[status] === 1) peer.memory.failure(peer.slot, 'http', this.httpFailures);
    else if (this.#healthy[status] === 1) peer.memory.success(peer.slot, this.successes);
  }

  /** The try failed without a response: the connection (refused, reset) or a timeout. */
  failed(peer: Peer, timedOut: boolean): void {
    if (timedOut) peer.memory.failure(peer.slot, 'timeout', this.timeouts);
    else peer.memory.failure(peer.slot, 'tcp', this.tcpFailures);
  }
}

/** The upstream's passive checks, or null when they are off (no threshold above 0). */
export function passiveOf(upstream: Upstream): PassiveHealth | null {
  return passiveEnabled(healthchecksOf(upstream)) ? new PassiveHealth(upstream) : null;
}
