// Weighted round-robin balancer of one upstream (worker thread). Smooth weighted round robin, as
// nginx does it: every pick adds each peer's weight to its current score and takes the highest,
// so a 3:1 split interleaves (a a b a) instead of bursting (a a a b). Unhealthy peers, and peers
// this request already tried, take no part in a pick (while another one can).
import type { Target, Upstream } from '../../config/types.ts';
import type { DnsAnswers } from '../../runtime/protocol/dns-memory.ts';
import type { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import type { RequestContext } from '../proxy/context.ts';
import { passiveOf, type PassiveHealth } from './passive.ts';
import { belowThreshold, eligible, makePeers, thresholdOf, type Balancer, type Peer, type PickState } from './peer.ts';

export { parseTarget, type Peer } from './peer.ts';

export class RoundRobinBalancer implements Balancer {
  readonly upstream: Upstream;
  readonly peers: readonly Peer[];
  readonly fingerprint: string;
  readonly passive: PassiveHealth | null;
  /** `healthchecks.threshold` (percent of weight that must be healthy), 0 when off. */
  readonly threshold: number;
  readonly #current: Float64Array;

  constructor(upstream: Upstream, targets: readonly Target[], fingerprint: string, memory: UpstreamMemory | null = null, dns: DnsAnswers | null = null) {
    this.upstream = upstream;
    this.fingerprint = fingerprint;
    this.passive = passiveOf(upstream);
    this.threshold = thresholdOf(upstream);
    this.peers = makePeers(upstream, targets, memory, dns);
    this.#current = new Float64Array(this.peers.length);
  }

  pick(_ctx: RequestContext | null, state: PickState): Peer | null {
    if (this.threshold > 0 && belowThreshold(this.peers, this.threshold)) return null;
    const peers = this.peers;
    if (peers.length === 1) return peers[0]!.memory.healthy(peers[0]!.slot) ? peers[0]! : null;
    const best = this.#pick(state, true);
    return best !== null || state.tried === null ? best : this.#pick(state, false);
  }

  #pick(state: PickState, skipTried: boolean): Peer | null {
    const peers = this.peers;
    const current = this.#current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      if (!(skipTried ? eligible(peer, state) : peer.memory.healthy(peer.slot))) continue;
      current[i]! += peer.weight;
      total += peer.weight;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best === -1) return null;
    current[best]! -= total;
    return peers[best]!;
  }

  done(): void {}
}
