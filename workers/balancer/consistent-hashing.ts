// Consistent-hashing balancer of one upstream (worker thread), Kong's ketama continuum: a ring of
// `slots` points (Kong: at least 1000, else 1000); each peer takes points in proportion to its
// weight — floor(weight / total x peers x 160), at least one — at the hash of "host:port i". A request hashes its value (hash-value.ts) to a
// point and walks the ring downwards to the first peer that is healthy and untried. Removing one
// of N peers moves only the keys it held (about 1/N); adding one takes about 1/(N+1).
//
// The walk costs one array read per peer passed: `next[p]` is the nearest taken point at or below
// p (wrapping), precomputed with the ring, so empty points are never walked one by one.
import { hash } from 'node:crypto';
import type { Target, Upstream } from '../../config/types.ts';
import type { DnsAnswers } from '../../runtime/protocol/dns-memory.ts';
import type { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import type { RequestContext } from '../proxy/context.ts';
import { valueToHash } from './hash-value.ts';
import { passiveOf, type PassiveHealth } from './passive.ts';
import { belowThreshold, eligible, makePeers, thresholdOf, type Balancer, type Peer, type PickState } from './peer.ts';

const SERVER_POINTS = 160;
const MIN_POINTS = 1000;

/** Unsigned 32-bit hash of a string; the same on every thread and every run. */
export function hash32(value: string): number {
  return hash('md5', value, 'buffer').readUInt32LE(0);
}

export class ConsistentHashingBalancer implements Balancer {
  readonly upstream: Upstream;
  readonly peers: readonly Peer[];
  readonly fingerprint: string;
  readonly passive: PassiveHealth | null;
  /** `healthchecks.threshold` (percent of weight that must be healthy), 0 when off. */
  readonly threshold: number;
  readonly points: number;
  /** Peer index at each point, -1 where none. */
  readonly #owner: Int32Array;
  /** The nearest taken point at or below each point, going round; -1 when the ring is empty. */
  readonly #next: Int32Array;

  constructor(upstream: Upstream, targets: readonly Target[], fingerprint: string, memory: UpstreamMemory | null = null, dns: DnsAnswers | null = null) {
    this.upstream = upstream;
    this.fingerprint = fingerprint;
    this.passive = passiveOf(upstream);
    this.threshold = thresholdOf(upstream);
    this.peers = makePeers(upstream, targets, memory, dns);
    this.points = upstream.slots >= MIN_POINTS ? upstream.slots : MIN_POINTS;
    this.#owner = new Int32Array(this.points).fill(-1);
    this.#next = new Int32Array(this.points).fill(-1);
    this.#build();
  }

  #build(): void {
    const peers = this.peers;
    const points = this.points;
    const owner = this.#owner;
    if (peers.length === 0) return;
    // Placed in host:port order so collisions fall the same way whatever order targets came in.
    const order = peers.map((_, i) => i).sort((a, b) => compareAddress(peers[a]!, peers[b]!));
    const total = peers.reduce((sum, peer) => sum + peer.weight, 0);
    for (const i of order) {
      const peer = peers[i]!;
      const entries = Math.max(1, Math.floor((peer.weight / total) * peers.length * SERVER_POINTS));
      for (let n = 1; n <= entries; n++) {
        const point = hash32(`${peer.host}:${peer.port} ${n}`) % points;
        // A point two peers hash to stays with the lower address, and the other takes no extra
        // point (Kong gives it one more, "moving the problem forward"). So a peer's points depend
        // on its own address and weight alone, and removing a peer moves no key of another.
        if (owner[point] === -1) owner[point] = i;
      }
    }
    // Two passes downwards fill `next` for every point, the wrap included.
    const next = this.#next;
    let last = -1;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < points; p++) {
        if (owner[p] !== -1) last = p;
        next[p] = last;
      }
    }
  }

  pick(ctx: RequestContext, state: PickState): Peer | null {
    if (this.threshold > 0 && belowThreshold(this.peers, this.threshold)) return null;
    const peers = this.peers;
    if (peers.length === 0) return null;
    if (state.hash === -1) state.hash = hash32(valueToHash(this.upstream, ctx)) % this.points;
    return this.walk(state.hash, state);
  }

  /** The first eligible peer at or below `point`; a tried one only if no untried healthy one is left. */
  walk(point: number, state: PickState): Peer | null {
    const peers = this.peers;
    const owner = this.#owner;
    const next = this.#next;
    let fallback: Peer | null = null;
    let p = next[point]!;
    // Each peer holds at least one point, so at most `taken` steps visit every peer.
    for (let steps = 0; steps < this.points && p !== -1; steps++) {
      const peer = peers[owner[p]!]!;
      if (eligible(peer, state)) return peer;
      if (fallback === null && peer.memory.healthy(peer.slot)) fallback = peer;
      p = next[p === 0 ? this.points - 1 : p - 1]!;
      if (p === next[point]) break; // went all the way round
    }
    return fallback;
  }

  done(): void {}
}

function compareAddress(a: Peer, b: Peer): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  return a.port - b.port;
}
