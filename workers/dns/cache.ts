// The process's DNS cache (health-check and DNS thread): the one place that resolves upstream target
// names and service hosts. Every answer is published to the shared DNS memory
// (runtime/protocol/dns-memory.ts), which the workers read when they build a balancer or a
// service's address set (service-hosts.ts): once a name has an answer, no worker looks it up, on
// the request path or anywhere else.
//
// - Each watched name is refreshed on this thread's timer wheel before its TTL runs out (at 90% of
//   it), the TTL held within [minTtl, maxTtl] (Kong's dns_valid_ttl sets both).
// - Lookups of one name are coalesced: callers arriving while a query runs share its answer.
// - At most `maxConcurrent` queries run at once; the rest wait their turn.
// - A failed refresh keeps serving the last answer for up to `staleTtl` after it expired (Kong's
//   dns_stale_ttl), counted in the `stale` counter, and is retried every second meanwhile.
// - Record types are tried in `order` (Kong's dns_order; LAST = the type that answered last time);
//   SRV answers give each address its port and weight (the lowest priority only, weight 0 as 1).
// - Names in the hosts file are answered from it (Kong honours /etc/hosts first), the addresses of
//   the first family `order` names (hostsAnswer).
// - The names are the hosts of upstream targets and of services that name no upstream (Kong's
//   DNS-balanced service host); workers/health/main.ts hands them over.
import { isIP } from 'node:net';
import DNS from 'dns2';
import type { DnsAddress, DnsAnswers, DnsMemory } from '../../runtime/protocol/dns-memory.ts';
import type { DnsSettings, RecordType } from '../../runtime/protocol/health-messages.ts';
import type { TimerWheel } from '../timers/wheel.ts';

export type { DnsSettings, RecordType } from '../../runtime/protocol/health-messages.ts';

export interface Resolved {
  addresses: DnsAddress[];
  /** Seconds, before clamping. */
  ttl: number;
  type: 'SRV' | 'A' | 'AAAA';
}

/** One DNS question on the wire: the seam the cache's tests drive with a real server. */
export type Query = (name: string, type: 'SRV' | 'A' | 'AAAA') => Promise<Resolved | null>;

interface Entry {
  addresses: DnsAddress[] | null;
  expiresAt: number;
  lastType: 'SRV' | 'A' | 'AAAA' | null;
  timer: number;
  fromHosts: boolean;
}

const ERROR_RETRY_MS = 1000;

export class DnsCache {
  readonly #settings: DnsSettings;
  readonly #wheel: TimerWheel;
  readonly #memory: DnsMemory;
  readonly #query: Query;
  readonly #hosts: Map<string, string[]>;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<DnsAddress[] | null>>();
  #running = 0;
  readonly #queue: Array<() => void> = [];
  /** Most queries in flight at once so far (bounded by maxConcurrent). */
  peakConcurrent = 0;

  constructor(settings: DnsSettings, wheel: TimerWheel, memory: DnsMemory, query: Query, hosts: Map<string, string[]>, now: () => number = Date.now) {
    this.#settings = settings;
    this.#wheel = wheel;
    this.#memory = memory;
    this.#query = query;
    this.#hosts = hosts;
    this.#now = now;
  }

  /** The current answer of `name` (null: none usable; undefined: not resolved yet). */
  answer(name: string): DnsAddress[] | null | undefined {
    return this.#entries.get(name.toLowerCase())?.addresses;
  }

  /** Keeps exactly these names resolved and refreshed; returns once each has its first answer. */
  async watch(names: Iterable<string>): Promise<void> {
    const wanted = new Set<string>();
    for (const name of names) if (isIP(name) === 0) wanted.add(name.toLowerCase());
    let dropped = false;
    for (const [name, entry] of this.#entries) {
      if (wanted.has(name)) continue;
      if (entry.timer !== 0) this.#wheel.cancel(entry.timer);
      this.#entries.delete(name);
      dropped = true;
    }
    if (dropped) this.#publish();
    await Promise.all([...wanted].filter((name) => !this.#entries.has(name)).map((name) => this.resolve(name)));
  }

  /** Resolves `name` now (coalesced with a query of it already running) and publishes the answer. */
  resolve(name: string): Promise<DnsAddress[] | null> {
    const key = name.toLowerCase();
    const running = this.#inflight.get(key);
    if (running !== undefined) {
      this.#memory.count('coalesced');
      return running;
    }
    const job = this.#refresh(key).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, job);
    return job;
  }

  async #refresh(name: string): Promise<DnsAddress[] | null> {
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      entry = { addresses: null, expiresAt: 0, lastType: null, timer: 0, fromHosts: false };
      this.#entries.set(name, entry);
    }
    const fixed = this.#hosts.get(name);
    if (fixed !== undefined) {
      entry.addresses = hostsAnswer(fixed, this.#settings.order).map((ip) => ({ ip, port: null, weight: null }));
      entry.fromHosts = true;
      this.#publish();
      return entry.addresses;
    }
    let resolved: Resolved | null;
    try {
      resolved = await this.#limited(() => this.#lookup(name, entry!.lastType));
    } catch {
      resolved = null;
    }
    if (this.#entries.get(name) !== entry) return resolved?.addresses ?? null; // unwatched meanwhile
    const now = this.#now();
    const { minTtl, maxTtl, staleTtl } = this.#settings;
    if (resolved !== null && resolved.addresses.length > 0) {
      const ttl = Math.min(maxTtl, Math.max(minTtl, resolved.ttl));
      entry.expiresAt = now + ttl * 1000;
      entry.lastType = resolved.type;
      const changed = !sameAddresses(entry.addresses, resolved.addresses);
      entry.addresses = resolved.addresses;
      if (changed) this.#publish();
      this.#schedule(name, entry, Math.max(1, Math.floor(ttl * 900)));
    } else {
      this.#memory.count('failures');
      if (entry.addresses !== null && now < entry.expiresAt + staleTtl * 1000) {
        // The last answer keeps serving while the name server fails.
        this.#memory.count('stale');
      } else if (entry.addresses !== null || entry.expiresAt === 0) {
        entry.addresses = null;
        entry.expiresAt = now;
        this.#publish();
      }
      this.#schedule(name, entry, ERROR_RETRY_MS);
    }
    return entry.addresses;
  }

  #schedule(name: string, entry: Entry, delayMs: number): void {
    if (entry.timer !== 0) this.#wheel.cancel(entry.timer);
    entry.timer = this.#wheel.schedule('dns-refresh', delayMs, (key: string) => {
      const current = this.#entries.get(key);
      if (current === undefined) return;
      current.timer = 0;
      void this.resolve(key);
    }, name);
  }

  async #lookup(name: string, last: Entry['lastType']): Promise<Resolved | null> {
    const types: Array<'SRV' | 'A' | 'AAAA'> = [];
    for (const type of this.#settings.order) {
      const t = type === 'LAST' ? last : type;
      if (t !== null && !types.includes(t)) types.push(t);
    }
    for (const type of types) {
      this.#memory.count('queries');
      const answer = await this.#query(name, type);
      if (answer !== null && answer.addresses.length > 0) return answer;
    }
    return null;
  }

  /** Runs `job` when fewer than maxConcurrent queries are running. */
  async #limited<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#settings.maxConcurrent) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#running++;
    if (this.#running > this.peakConcurrent) this.peakConcurrent = this.#running;
    try {
      return await job();
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }

  #publish(): void {
    const answers: DnsAnswers = {};
    for (const [name, entry] of this.#entries) answers[name] = entry.addresses;
    this.#memory.publish(answers);
  }

  close(): void {
    for (const entry of this.#entries.values()) if (entry.timer !== 0) this.#wheel.cancel(entry.timer);
    this.#entries.clear();
  }
}

/**
 * The hosts-file addresses of a name as its first record type in `order` finds them (A: IPv4,
 * AAAA: IPv6), as Kong's DNS client reads the hosts file: `localhost` with `127.0.0.1` and `::1`
 * answers 127.0.0.1 alone under the default order. All of them when no type in the order has any.
 */
export function hostsAnswer(ips: readonly string[], order: readonly RecordType[]): string[] {
  for (const type of order) {
    const family = type === 'A' ? 4 : type === 'AAAA' ? 6 : 0;
    if (family === 0) continue;
    const found = ips.filter((ip) => isIP(ip) === family);
    if (found.length > 0) return found;
  }
  return [...ips];
}

function sameAddresses(a: DnsAddress[] | null, b: DnsAddress[]): boolean {
  if (a === null || a.length !== b.length) return false;
  const key = (x: DnsAddress): string => `${x.ip}|${x.port}|${x.weight}`;
  const set = new Set(a.map(key));
  return b.every((x) => set.has(key(x)));
}

/** Queries over UDP with dns2 (TCP on truncation), to the configured or the system's name servers. */
export function wireQuery(servers: string[], timeoutMs: number, systemServers: string[]): Query {
  const list = (servers.length > 0 ? servers : systemServers).map(splitServer);
  const port = list[0]?.port ?? 53;
  const client = new DNS({ nameServers: list.map((s) => s.host), port, timeout: timeoutMs, retries: 1 });
  const A = 1;
  const AAAA = 28;
  const SRV = 33;
  const addressesOf = async (name: string, type: 'A' | 'AAAA'): Promise<Resolved | null> => {
    const reply = await client.resolve(name, type);
    const wanted = type === 'A' ? A : AAAA;
    const records = reply.answers.filter((r) => r.type === wanted) as Array<{ address?: string; ttl: number }>;
    if (records.length === 0) return null;
    return { type, ttl: Math.min(...records.map((r) => r.ttl)), addresses: records.map((r) => ({ ip: String(r.address), port: null, weight: null })) };
  };
  return async (name, type) => {
    if (type !== 'SRV') return addressesOf(name, type);
    const reply = await client.resolve(name, 'SRV');
    const records = reply.answers.filter((r) => r.type === SRV) as Array<{ priority: number; weight: number; port: number; target: string; ttl: number }>;
    if (records.length === 0) return null;
    const top = Math.min(...records.map((r) => r.priority));
    const addresses: DnsAddress[] = [];
    let ttl = Math.min(...records.map((r) => r.ttl));
    for (const record of records) {
      if (record.priority !== top) continue;
      const ips = isIP(record.target) !== 0 ? { ttl, addresses: [{ ip: record.target, port: null, weight: null }] } : ((await addressesOf(record.target, 'A')) ?? (await addressesOf(record.target, 'AAAA')));
      if (ips === null) continue;
      ttl = Math.min(ttl, ips.ttl);
      for (const a of ips.addresses) addresses.push({ ip: a.ip, port: record.port, weight: record.weight === 0 ? 1 : record.weight });
    }
    return addresses.length === 0 ? null : { type: 'SRV', ttl, addresses };
  };
}

function splitServer(server: string): { host: string; port: number } {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(server);
  if (v6 !== null) return { host: v6[1]!, port: v6[2] === undefined ? 53 : Number(v6[2]) };
  if (isIP(server) === 6) return { host: server, port: 53 };
  const colon = server.lastIndexOf(':');
  return colon === -1 ? { host: server, port: 53 } : { host: server.slice(0, colon), port: Number(server.slice(colon + 1)) };
}
