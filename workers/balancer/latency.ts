// Latency balancer of one upstream (worker thread): peak EWMA with power-of-two choices. Each peer
// keeps an exponentially weighted moving average of its round trips (decay 10 s, as Kong's
// `latency` algorithm) that jumps to any round trip above it at once (peak-sensitive: a peer that
// turns slow is avoided at once, a peer that recovers is trusted again gradually). A pick draws two
// eligible peers at random and takes the lower cost, ewma x (in flight + 1) / weight, where "in
// flight" is the process-wide count from the shared upstream memory.
//
// The averages are this worker's own: each worker measures the round trips it sees.
import type { Target, Upstream } from '../../config/types.ts';
import type { DnsAnswers } from '../../runtime/protocol/dns-memory.ts';
import type { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import type { RequestContext } from '../proxy/context.ts';
import { passiveOf, type PassiveHealth } from './passive.ts';
import { belowThreshold, eligible, makePeers, thresholdOf, type Balancer, type Peer, type PickState } from './peer.ts';

const DECAY_MS = 10_000;

export class LatencyBalancer implements Balancer {
  readonly upstream: Upstream;
  readonly peers: readonly Peer[];
  readonly fingerprint: string;
  readonly passive: PassiveHealth | null;
  /** `healthchecks.threshold` (percent of weight that must be healthy), 0 when off. */
  readonly threshold: number;
  /** Per peer: the average round trip in ms (0 until measured), and when it was last updated. */
  readonly ewma: Float64Array;
  readonly #touched: Float64Array;
  readonly #now: () => number;
  readonly #candidates: number[] = [];

  constructor(upstream: Upstream, targets: readonly Target[], fingerprint: string, memory: UpstreamMemory | null = null, dns: DnsAnswers | null = null, now: () => number = performance.now.bind(performance)) {
    this.upstream = upstream;
    this.fingerprint = fingerprint;
    this.passive = passiveOf(upstream);
    this.threshold = thresholdOf(upstream);
    this.peers = makePeers(upstream, targets, memory, dns);
    this.ewma = new Float64Array(this.peers.length);
    this.#touched = new Float64Array(this.peers.length);
    this.#now = now;
  }

  cost(index: number, now: number): number {
    const peer = this.peers[index]!;
    const age = Math.max(0, now - this.#touched[index]!);
    // An idle peer's average decays towards 0, so it is tried again rather than starved.
    const ewma = this.ewma[index]! * Math.exp(-age / DECAY_MS);
    return ((ewma + 1e-3) * (peer.memory.inFlight(peer.slot) + 1)) / peer.weight;
  }

  pick(_ctx: RequestContext | null, state: PickState): Peer | null {
    if (this.threshold > 0 && belowThreshold(this.peers, this.threshold)) return null;
    const chosen = this.#choose(state, true) ?? (state.tried === null ? null : this.#choose(state, false));
    if (chosen !== null) chosen.memory.acquire(chosen.slot);
    return chosen;
  }

  #choose(state: PickState, skipTried: boolean): Peer | null {
    const candidates = this.#candidates;
    candidates.length = 0;
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      if (skipTried ? eligible(peer, state) : peer.memory.healthy(peer.slot)) candidates.push(i);
    }
    const n = candidates.length;
    if (n <= 1) return n === 1 ? peers[candidates[0]!]! : null;
    const a = Math.floor(Math.random() * n);
    let b = Math.floor(Math.random() * (n - 1));
    if (b >= a) b++;
    const now = this.#now();
    const ia = candidates[a]!;
    const ib = candidates[b]!;
    return peers[this.cost(ia, now) <= this.cost(ib, now) ? ia : ib]!;
  }

  done(peer: Peer, ms: number): void {
    peer.memory.release(peer.slot);
    if (ms < 0) return;
    const index = this.peers.indexOf(peer);
    if (index === -1) return;
    const now = this.#now();
    const age = Math.max(0, now - this.#touched[index]!);
    const old = this.ewma[index]!;
    const w = Math.exp(-age / DECAY_MS);
    this.ewma[index] = ms > old ? ms : old * w + ms * (1 - w);
    this.#touched[index] = now;
  }
}
