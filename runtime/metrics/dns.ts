// Sluice's DNS figures (primary thread), read from the shared DNS memory's counters at each scrape:
// queries sent by the one resolving thread, failures, stale answers served while a refresh failed,
// and lookups coalesced into a query already running.
import { Counter, type Registry } from 'prom-client';
import type { DnsCounter, DnsMemory } from '../protocol/dns-memory.ts';

const SERIES: ReadonlyArray<[DnsCounter, string, string]> = [
  ['queries', 'sluice_dns_queries_total', 'DNS questions sent for upstream target names (by the one resolving thread, never on the request path)'],
  ['failures', 'sluice_dns_failures_total', 'DNS lookups that got no usable answer'],
  ['stale', 'sluice_dns_stale_answers_total', 'Times an expired answer kept serving because its refresh failed (dns_stale_ttl)'],
  ['coalesced', 'sluice_dns_coalesced_total', 'Lookups of a name that joined a query of it already running'],
];

export function registerDnsMetrics(registry: Registry, memory: DnsMemory): void {
  for (const [counter, name, help] of SERIES) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(memory.counter(counter));
      },
    });
  }
}
