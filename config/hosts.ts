// Host names, IP literals, route host patterns and targets. Pure; runs on any thread.
import { isIP } from 'node:net';
import { LIMITS } from './limits.ts';

// Letters, digits, `-` and `_` (Kong, like many resolvers, tolerates `_`); no empty label;
// a label does not start or end with `-`.
const LABEL_RE = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

export function isHostname(host: string): boolean {
  if (host.length === 0 || host.length > LIMITS.hostLength) return false;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = name.split('.');
  for (const label of labels) if (!LABEL_RE.test(label)) return false;
  // All-numeric names are meant as IPv4 and must be one (rejects `300.1.1.1`).
  if (labels.every((l) => /^\d+$/.test(l))) return isIP(name) === 4;
  return true;
}

/** A service host: a host name, an IPv4 literal or an IPv6 literal (bare or bracketed); no port. */
export function isServiceHost(host: string): boolean {
  if (host.startsWith('[') && host.endsWith(']')) return isIP(host.slice(1, -1)) === 6;
  return isIP(host) !== 0 || isHostname(host);
}

/**
 * A route `hosts` entry: a host name with at most one wildcard label, leftmost (`*.example.com`)
 * or rightmost (`example.*`), and an optional `:port`. Returns an error message or null.
 */
export function checkRouteHost(value: string): string | null {
  let host = value;
  const port = /^(.*[^:]):(\d+)$/.exec(value);
  if (port !== null && !value.startsWith('[') && isIP(value) !== 6) {
    host = port[1] as string;
    if (Number(port[2]) > 65535) return 'invalid port number';
  }
  const stars = host.split('*').length - 1;
  if (stars > 1) return 'only one wildcard must be specified';
  if (stars === 1) {
    if (host.startsWith('*.')) host = `x${host.slice(1)}`;
    else if (host.endsWith('.*')) host = `${host.slice(0, -1)}x`;
    else return 'wildcard must be leftmost or rightmost character';
  }
  return isServiceHost(host) ? null : `invalid hostname: ${value}`;
}

export type ParsedTarget = { ok: true; host: string; port: number; target: string } | { ok: false; message: string };

/** Kong's target syntax: `host`, `host:port`, `ipv4:port`, `[ipv6]:port` or a bare IPv6; port 8000 by default. */
export function parseTarget(value: string, defaultPort = 8000): ParsedTarget {
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed !== null) {
    host = bracketed[1] as string;
    portText = bracketed[2];
    if (isIP(host) !== 6) return { ok: false, message: `Invalid target ('${value}'); not a valid hostname or ip address` };
  } else if (isIP(value) === 6) {
    host = value;
  } else {
    const i = value.lastIndexOf(':');
    host = i === -1 ? value : value.slice(0, i);
    portText = i === -1 ? undefined : value.slice(i + 1);
    if (!(isIP(host) === 4 || isHostname(host))) {
      return { ok: false, message: `Invalid target ('${value}'); not a valid hostname or ip address` };
    }
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
      return { ok: false, message: `Invalid target ('${value}'); port must be an integer between 0 and 65535` };
    }
    port = Number(portText);
  }
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return { ok: true, host, port, target: `${shown}:${port}` };
}
