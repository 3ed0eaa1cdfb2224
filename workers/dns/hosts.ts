// The hosts file (/etc/hosts by default, Kong's `dns_hostsfile`), read once when the DNS cache
// starts (health-check and DNS thread). A name listed there is answered from it and never queried.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** name (lower case) → addresses, in file order. */
export function readHostsFile(path: string | null): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  if (path === null) return hosts;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return hosts;
  }
  return parseHosts(text);
}

export function parseHosts(text: string): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [ip, ...names] = line.split(/\s+/);
    if (ip === undefined || isIP(ip) === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      const list = hosts.get(key) ?? [];
      if (!list.includes(ip)) list.push(ip);
      hosts.set(key, list);
    }
  }
  return hosts;
}
