// The peers of one upstream and what every balancer shares (worker thread): a peer's shared slot
// (in-flight count and health, runtime/protocol/upstream-memory.ts), the per-try pick state, and
// the interface each algorithm implements (one module each: round-robin, consistent-hashing,
// least-connections, latency).
import type { Target, Upstream } from '../../config/types.ts';
import { createUpstreamMemory, targetKey, UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import type { RequestContext } from '../proxy/context.ts';

export interface Peer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, the key of the connection pool to this peer. */
  readonly origin: string;
  readonly weight: number;
  readonly targetId: string;
  /** `host:port` as the target entity says it. */
  readonly target: string;
  /** Where this peer's in-flight count and health live (shared across workers when assigned). */
  readonly memory: UpstreamMemory;
  readonly slot: number;
}

/** One request's balancer state across its tries (Kong's balancer handle). */
export class PickState {
  /** The consistent-hashing point of this request, computed on its first try; -1 until then. */
  hash = -1;
  /** Peers already tried, so a retry goes elsewhere while anything else is left. */
  tried: Peer[] | null = null;

  hasTried(peer: Peer): boolean {
    return this.tried !== null && this.tried.includes(peer);
  }
}

export interface Balancer {
  readonly upstream: Upstream;
  readonly peers: readonly Peer[];
  /** Fingerprint of the upstream and its targets; equal fingerprints mean an equal balancer. */
  readonly fingerprint: string;
  /**
   * The peer for this try, or null when no peer is healthy (the proxy answers 503). Skips unhealthy
   * peers, and peers already tried while an untried healthy one is left.
   */
  pick(ctx: RequestContext, state: PickState): Peer | null;
  /** The try sent to `peer` has ended; `ms` is its round trip, or -1 when it failed. */
  done(peer: Peer, ms: number): void;
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

/** Slots for targets the primary assigned none (its table full, or a test without a primary): this worker's own. */
let privateMemory: UpstreamMemory | null = null;
let privateNext = 0;

function privateSlot(): { memory: UpstreamMemory; slot: number } {
  if (privateMemory === null || privateNext === privateMemory.capacity) {
    privateMemory = new UpstreamMemory(createUpstreamMemory(1024));
    privateNext = 0;
  }
  return { memory: privateMemory, slot: privateNext++ };
}

/**
 * The usable peers of an upstream: weight 0 disables a target. Sorted by target id so every
 * worker walks the same order for the same config.
 */
export function makePeers(upstream: Upstream, targets: readonly Target[], memory: UpstreamMemory | null): Peer[] {
  const peers: Peer[] = [];
  for (const target of targets) {
    if (target.weight <= 0) continue;
    const { host, port } = parseTarget(target.target);
    const slot = memory === null ? -1 : memory.find(targetKey(upstream.id, target.target));
    const at = slot === -1 ? privateSlot() : { memory: memory!, slot };
    peers.push({ host, port, origin: `http://${host}:${port}`, weight: target.weight, targetId: target.id, target: target.target, memory: at.memory, slot: at.slot });
  }
  peers.sort((a, b) => (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0));
  return peers;
}

/** Healthy, and not yet tried by this request. */
export function eligible(peer: Peer, state: PickState): boolean {
  return peer.memory.healthy(peer.slot) && !state.hasTried(peer);
}
