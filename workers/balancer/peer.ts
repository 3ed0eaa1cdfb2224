// The peers of one upstream and what every balancer shares (worker thread): a peer's shared slot
// (in-flight count and health, runtime/protocol/upstream-memory.ts), the per-try pick state, and
// the interface each algorithm implements (one module each: round-robin, consistent-hashing,
// least-connections, latency).
import type { Target, Upstream } from '../../config/types.ts';
import { isIP } from 'node:net';
import type { DnsAnswers } from '../../runtime/protocol/dns-memory.ts';
import { createUpstreamMemory, targetKey, UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import type { RequestContext } from '../proxy/context.ts';
import type { PassiveHealth } from './passive.ts';

export interface Peer {
  /** The address to connect to: an IP, or a name not resolved yet (the connection layer resolves it). */
  readonly host: string;
  /** The target's host as configured (a name or an IP): what the upstream's Host header carries. */
  readonly name: string;
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
  /** The upstream's passive health checks, null when off. */
  readonly passive: PassiveHealth | null;
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

/** True when the target's host is a name (not an IP literal): its addresses come from DNS. */
export function isName(host: string): boolean {
  return isIP(host.startsWith('[') ? host.slice(1, -1) : host) === 0;
}

/**
 * The usable peers of an upstream: weight 0 disables a target. A target named by DNS becomes one
 * peer per address of its published answer (runtime/protocol/dns-memory.ts), each with the
 * target's weight, or an SRV record's port and weight; a name whose answer is an error gives none;
 * a name not resolved yet is kept by name. Sorted by target id (then address) so every worker
 * walks the same order for the same config and answers.
 */
export function makePeers(upstream: Upstream, targets: readonly Target[], memory: UpstreamMemory | null, dns: DnsAnswers | null = null): Peer[] {
  const peers: Peer[] = [];
  for (const target of targets) {
    if (target.weight <= 0) continue;
    const { host, port } = parseTarget(target.target);
    const slot = memory === null ? -1 : memory.find(targetKey(upstream.id, target.target));
    const at = slot === -1 ? privateSlot() : { memory: memory!, slot };
    const answer = dns !== null && isName(host) ? dns[host.toLowerCase()] : undefined;
    if (answer === undefined) {
      peers.push({ host, name: host, port, origin: `http://${host}:${port}`, weight: target.weight, targetId: target.id, target: target.target, memory: at.memory, slot: at.slot });
      continue;
    }
    if (answer === null) continue;
    for (const address of answer) {
      const ip = isIP(address.ip) === 6 ? `[${address.ip}]` : address.ip;
      const p = address.port ?? port;
      peers.push({ host: ip, name: host, port: p, origin: `http://${ip}:${p}`, weight: address.weight ?? target.weight, targetId: target.id, target: target.target, memory: at.memory, slot: at.slot });
    }
  }
  peers.sort((a, b) => (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  return peers;
}

/**
 * Kong's `healthchecks.threshold`: when the healthy targets carry less than this percentage of the
 * upstream's weight, the whole upstream counts as unhealthy and no peer is given (503).
 */
export function belowThreshold(peers: readonly Peer[], threshold: number): boolean {
  if (threshold <= 0) return false;
  let total = 0;
  let healthy = 0;
  for (const peer of peers) {
    total += peer.weight;
    if (peer.memory.healthy(peer.slot)) healthy += peer.weight;
  }
  return total === 0 || (healthy * 100) / total < threshold;
}

/** The upstream's `healthchecks.threshold`, 0 when unset. */
export function thresholdOf(upstream: Upstream): number {
  const threshold = (upstream.healthchecks as { threshold?: unknown }).threshold;
  return typeof threshold === 'number' ? threshold : 0;
}

/** Healthy, and not yet tried by this request. */
export function eligible(peer: Peer, state: PickState): boolean {
  return peer.memory.healthy(peer.slot) && !state.hasTried(peer);
}
