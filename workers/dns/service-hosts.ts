// The addresses of services whose host is a DNS name and names no upstream (worker thread). Kong
// treats such a host as a DNS-balanced target: its DNS client's round robin over the A/AAAA
// answer, or over SRV records with their ports and weights. Here the answer comes from the shared
// DNS memory (the DNS thread resolves and refreshes every such host, runtime/health/thread.ts),
// never from a lookup on the request path.
//
// Each such service has one ServiceHost: built when the service changes or its name's answer does,
// and only then (counted by the caller, component `service-targets`); another service's change or
// answer leaves it as it is. Its state:
//   addresses null   the name has no answer yet (no DNS thread, or its first answer is on its
//                    way): the connection resolves the name itself, as before the cache existed;
//   addresses []     the name has no usable answer (Kong's "name resolution failed", 503);
//   addresses [..]   picked in smooth weighted round robin (weight 1 each for A/AAAA).
import { isIP } from 'node:net';
import { deltaOf } from '../../config/apply.ts';
import type { Service, Snapshot } from '../../config/types.ts';
import type { DnsAddress, DnsAnswers } from '../../runtime/protocol/dns-memory.ts';

export interface HostAddress {
  /** An IP literal, bare (no brackets). */
  readonly ip: string;
  /** The SRV record's port, else the service's. */
  readonly port: number;
  readonly weight: number;
}

export class ServiceHost {
  readonly service: Service;
  /** The service's host, lower case: the name the DNS memory answers. */
  readonly name: string;
  readonly addresses: readonly HostAddress[] | null;
  /** The answer this was built from, as text: a new answer equal to it changes nothing. */
  readonly answerKey: string;
  readonly #current: Float64Array;

  constructor(service: Service, name: string, answer: DnsAddress[] | null | undefined) {
    this.service = service;
    this.name = name;
    this.answerKey = answer === undefined ? '' : JSON.stringify(answer);
    this.addresses = answer === undefined ? null : (answer ?? []).map((a) => ({ ip: a.ip, port: a.port ?? service.port, weight: a.weight ?? 1 }));
    this.#current = new Float64Array(this.addresses?.length ?? 0);
  }

  /** The address for this try (smooth weighted round robin, nginx's), or null when there is none. */
  pick(): HostAddress | null {
    const addresses = this.addresses;
    if (addresses === null || addresses.length === 0) return null;
    if (addresses.length === 1) return addresses[0]!;
    const current = this.#current;
    let best = 0;
    let total = 0;
    for (let i = 0; i < addresses.length; i++) {
      current[i]! += addresses[i]!.weight;
      total += addresses[i]!.weight;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    return addresses[best]!;
  }
}

export interface ServiceHosts {
  /** Service id → its host's addresses, for every service whose host is a name and no upstream's. */
  readonly byService: ReadonlyMap<string, ServiceHost>;
}

export const NO_SERVICE_HOSTS: ServiceHosts = { byService: new Map() };

/** True when a service with this host resolves it by DNS: a name (not an IP literal) that names no upstream. */
export function resolvesByDns(host: string, upstreamNames: ReadonlyMap<string, unknown>): boolean {
  return !upstreamNames.has(host) && isIP(host.startsWith('[') ? host.slice(1, -1) : host) === 0;
}

/**
 * The service hosts for `snapshot`, after a config change. With `before` (the snapshot `previous`
 * was built for) and a delta from it that left the upstreams alone, only the services the delta
 * names are looked at; else every service is (an upstream added, renamed or removed changes which
 * hosts are names to resolve). A service keeps its ServiceHost (and round-robin position) when
 * neither it nor its name's answer changed. `onBuilt` is told of each one built.
 */
export function buildServiceHosts(
  previous: ServiceHosts,
  before: Snapshot | null,
  snapshot: Snapshot,
  upstreamNames: ReadonlyMap<string, unknown>,
  answers: DnsAnswers | null,
  onBuilt: (serviceId: string) => void,
): ServiceHosts {
  let ids: Iterable<string> = Object.keys(snapshot.entities.services);
  const delta = deltaOf(snapshot);
  if (before !== null && delta !== undefined && delta.fromVersion === before.version && before.groupHashes.upstreams === snapshot.groupHashes.upstreams) {
    if (before.groupHashes.services === snapshot.groupHashes.services) return previous;
    ids = (delta.upserts.services ?? []).map((s) => s.id).concat(delta.removes.services ?? []);
  } else if (before !== null) {
    // Services gone since `before`: their entries go too.
    ids = new Set([...ids, ...previous.byService.keys()]);
  }
  let next: Map<string, ServiceHost> | null = null;
  for (const id of ids) {
    const service = snapshot.entities.services[id];
    const had = previous.byService.get(id);
    if (service === undefined || !resolvesByDns(service.host, upstreamNames)) {
      if (had !== undefined) (next ??= new Map(previous.byService)).delete(id);
      continue;
    }
    const name = service.host.toLowerCase();
    const answer = answers?.[name];
    if (had !== undefined && had.service === service && had.answerKey === keyOf(answer)) continue;
    (next ??= new Map(previous.byService)).set(id, new ServiceHost(service, name, answer));
    onBuilt(id);
  }
  return next === null ? previous : { byService: next };
}

/**
 * After new DNS answers: rebuilds the ServiceHost of each service whose host is one of `names`
 * (their answers changed), and only those.
 */
export function rebuildServiceHostsForDns(previous: ServiceHosts, names: ReadonlySet<string>, answers: DnsAnswers, onBuilt: (serviceId: string) => void): ServiceHosts {
  let next: Map<string, ServiceHost> | null = null;
  for (const [id, host] of previous.byService) {
    if (!names.has(host.name)) continue;
    const answer = answers[host.name];
    if (host.answerKey === keyOf(answer)) continue;
    (next ??= new Map(previous.byService)).set(id, new ServiceHost(host.service, host.name, answer));
    onBuilt(id);
  }
  return next === null ? previous : { byService: next };
}

function keyOf(answer: DnsAddress[] | null | undefined): string {
  return answer === undefined ? '' : JSON.stringify(answer);
}
