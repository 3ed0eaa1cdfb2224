// The DNS options of `node runtime` (primary thread), with Kong's kong.conf names beside them:
//   --dns-resolver H[:P],...   dns_resolver     name servers (default: the system's, /etc/resolv.conf)
//   --dns-hostsfile FILE       dns_hostsfile    (default /etc/hosts; "none" to read none)
//   --dns-order LIST           dns_order        record types in order (default LAST,SRV,A,AAAA)
//   --dns-min-ttl S            (dns_valid_ttl sets min and max alike) lower bound on a TTL (default 1)
//   --dns-max-ttl S            upper bound on a TTL (default 3600)
//   --dns-stale-ttl S          dns_stale_ttl    how long an expired answer serves while refreshes fail (default 3600)
import type { DnsSettings, RecordType } from './protocol/health-messages.ts';

export const DNS_OPTIONS = {
  'dns-resolver': { type: 'string' },
  'dns-hostsfile': { type: 'string' },
  'dns-order': { type: 'string' },
  'dns-min-ttl': { type: 'string' },
  'dns-max-ttl': { type: 'string' },
  'dns-stale-ttl': { type: 'string' },
} as const;

const TYPES = new Set(['LAST', 'SRV', 'A', 'AAAA']);

function seconds(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const s = Number(value);
  if (!Number.isFinite(s) || s < 0 || s > 2 ** 31 / 1000) throw new Error(`${flag}: expected seconds 0..${Math.floor(2 ** 31 / 1000)}, got ${value}`);
  return s;
}

export function parseDnsOptions(values: Partial<Record<keyof typeof DNS_OPTIONS, string>>): DnsSettings {
  const order = (values['dns-order'] ?? 'LAST,SRV,A,AAAA').split(',').map((t) => t.trim().toUpperCase());
  for (const type of order) if (!TYPES.has(type)) throw new Error(`--dns-order: unknown record type ${type} (LAST, SRV, A, AAAA)`);
  const minTtl = seconds(values['dns-min-ttl'], 1, '--dns-min-ttl');
  const maxTtl = seconds(values['dns-max-ttl'], 3600, '--dns-max-ttl');
  if (maxTtl < minTtl) throw new Error('--dns-max-ttl must not be below --dns-min-ttl');
  const hostsFile = values['dns-hostsfile'] ?? '/etc/hosts';
  return {
    servers: values['dns-resolver'] === undefined ? [] : values['dns-resolver'].split(',').map((s) => s.trim()).filter((s) => s !== ''),
    hostsFile: hostsFile === 'none' ? null : hostsFile,
    order: order as RecordType[],
    minTtl,
    maxTtl,
    staleTtl: seconds(values['dns-stale-ttl'], 3600, '--dns-stale-ttl'),
    timeoutMs: 2000,
    maxConcurrent: 16,
  };
}
