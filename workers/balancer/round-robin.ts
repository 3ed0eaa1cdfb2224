// Weighted round-robin balancer of one upstream (worker thread). Smooth weighted round robin, as
// nginx does it: every pick adds each peer's weight to its current score and takes the highest,
// so a 3:1 split interleaves (a a b a) instead of bursting (a a a b). Weight 0 disables a target.
import type { Target, Upstream } from '../../config/types.ts';

export interface Peer {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly targetId: string;
}

export function parseTarget(target: string): { host: string; port: number } {
  // `[::1]:8080`, `10.0.0.1:8080`, `name:8080`, or no port (Kong's default for targets is 8000).
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    const port = target.slice(end + 2);
    return { host: target.slice(0, end + 1), port: port === '' ? 8000 : Number(port) };
  }
  const colon = target.lastIndexOf(':');
  if (colon === -1) return { host: target, port: 8000 };
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
}

export class RoundRobinBalancer {
  readonly upstream: Upstream;
  readonly peers: readonly Peer[];
  /** Fingerprint of the upstream and its targets; equal fingerprints mean no rebuild is needed. */
  readonly fingerprint: string;
  readonly #current: Float64Array;
  readonly #totalWeight: number;

  constructor(upstream: Upstream, targets: readonly Target[], fingerprint: string) {
    this.upstream = upstream;
    this.fingerprint = fingerprint;
    const peers: Peer[] = [];
    for (const target of targets) {
      if (target.weight <= 0) continue;
      const { host, port } = parseTarget(target.target);
      peers.push({ host, port, weight: target.weight, targetId: target.id });
    }
    // Stable order, so every worker walks the same sequence for the same config.
    peers.sort((a, b) => (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0));
    this.peers = peers;
    this.#current = new Float64Array(peers.length);
    this.#totalWeight = peers.reduce((sum, peer) => sum + peer.weight, 0);
  }

  /** Next peer, or null when the upstream has no usable target (the proxy answers 503). */
  pick(): Peer | null {
    const peers = this.peers;
    if (peers.length === 0) return null;
    if (peers.length === 1) return peers[0]!;
    const current = this.#current;
    let best = 0;
    for (let i = 0; i < peers.length; i++) {
      current[i]! += peers[i]!.weight;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= this.#totalWeight;
    return peers[best]!;
  }
}
