// Messages between the primary and the health-check thread (workers/health/main.ts). Both threads
// import this file; types only.
import type { Target, Upstream } from '../../config/types.ts';

export interface HealthBoot {
  /** The shared upstream memory (upstream-memory.ts): where probe results go. */
  upstreams: SharedArrayBuffer;
  /** The shared DNS memory (dns-memory.ts): where answers go. */
  dns: SharedArrayBuffer;
  dnsSettings: DnsSettings;
}

export type RecordType = 'LAST' | 'SRV' | 'A' | 'AAAA';

/** How the DNS cache resolves (runtime/dns-options.ts, workers/dns/cache.ts). */
export interface DnsSettings {
  /** `ip` or `ip:port` of the name servers; empty: the system's (from /etc/resolv.conf). */
  servers: string[];
  hostsFile: string | null;
  order: RecordType[];
  /** Seconds. */
  minTtl: number;
  maxTtl: number;
  staleTtl: number;
  /** One query's deadline, ms. */
  timeoutMs: number;
  maxConcurrent: number;
}

export type ToHealth =
  /**
   * The config's upstreams and targets, and the hosts of services that name no upstream and are
   * not IP literals (each is resolved as Kong resolves a service host: a DNS-balanced target).
   */
  | { type: 'targets'; upstreams: Upstream[]; targets: Target[]; serviceHosts: string[] }
  | { type: 'sent'; id: number }
  | { type: 'stop' };

export type FromHealth = { type: 'ready' } | { type: 'sent'; id: number; sent: Record<string, number> };
