// Least-connections balancer of one upstream (worker thread), as Kong's: the peer with the lowest
// (in-flight + 1) / weight. The in-flight counts are the process's, not this worker's: they live in
// the shared upstream memory, raised on pick and lowered when the try ends, by every worker, so the
// choice is global. Ties go round (a per-balancer start offset), so equal peers share an idle
// period instead of all traffic going to the first.
import type { Target, Upstream } from '../../config/types.ts';
import type { DnsAnswers } from '../../runtime/protocol/dns-memory.ts';
import type { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import type { RequestContext } from '../proxy/context.ts';
import { passiveOf, type PassiveHealth } from './passive.ts';
import { belowThreshold, eligible, makePeers, thresholdOf, type Balancer, type Peer, type PickState } from './peer.ts';

export class LeastConnectionsBalancer implements Balancer {
  readonly upstream: Upstream;
  readonly peers: readonly Peer[];
  readonly fingerprint: string;
  readonly passive: PassiveHealth | null;
  /** `healthchecks.threshold` (percent of weight that must be healthy), 0 when off. */
  readonly threshold: number;
  #start = 0;

  constructor(upstream: Upstream, targets: readonly Target[], fingerprint: string, memory: UpstreamMemory | null = null, dns: DnsAnswers | null = null) {
    this.upstream = upstream;
    this.fingerprint = fingerprint;
    this.passive = passiveOf(upstream);
    this.threshold = thresholdOf(upstream);
    this.peers = makePeers(upstream, targets, memory, dns);
  }

  pick(_ctx: RequestContext | null, state: PickState): Peer | null {
    if (this.threshold > 0 && belowThreshold(this.peers, this.threshold)) return null;
    const best = this.#least(state, true) ?? (state.tried === null ? null : this.#least(state, false));
    if (best !== null) best.memory.acquire(best.slot);
    return best;
  }

  #least(state: PickState, skipTried: boolean): Peer | null {
    const peers = this.peers;
    const n = peers.length;
    if (n === 0) return null;
    const start = this.#start;
    this.#start = start + 1 === n ? 0 : start + 1;
    let best: Peer | null = null;
    let bestScore = Infinity;
    for (let k = 0; k < n; k++) {
      const peer = peers[(start + k) % n]!;
      if (!(skipTried ? eligible(peer, state) : peer.memory.healthy(peer.slot))) continue;
      const score = (peer.memory.inFlight(peer.slot) + 1) / peer.weight;
      if (score < bestScore) {
        best = peer;
        bestScore = score;
      }
    }
    return best;
  }

  done(peer: Peer): void {
    peer.memory.release(peer.slot);
  }
}
