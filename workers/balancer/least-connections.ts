// Least-connections balancer of one upstream (worker thread), as Kong's: the peer with the lowest
// (in-flight + 1) / weight. The in-flight counts are the process's, not this worker's: they live in
// the shared upstream memory, raised on pick and lowered when the try ends, by every worker, so the
// choice is global. Ties go round (a per-balancer start offset), so equal peers share an idle
// period instead of all traffic going to the first.
import type { Target, Upstream } from '../../config/types.ts';
import type { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import type { RequestContext } from '../proxy/context.ts';
import { eligible, makePeers, type Balancer, type Peer, type PickState } from './peer.ts';

export class LeastConnectionsBalancer implements Balancer {
  readonly upstream: Upstream;
  readonly peers: readonly Peer[];
  readonly fingerprint: string;
  #start = 0;

  constructor(upstream: Upstream, targets: readonly Target[], fingerprint: string, memory: UpstreamMemory | null = null) {
    this.upstream = upstream;
    this.fingerprint = fingerprint;
    this.peers = makePeers(upstream, targets, memory);
  }

  pick(_ctx: RequestContext | null, state: PickState): Peer | null {
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
