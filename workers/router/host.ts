// Host handling for the router (worker thread): route `hosts` patterns at build time, the Host header per request.
// Kong (kong/router/compat.lua, transform.lua): a pattern may carry `:port`; a leading `*` matches by suffix
// (`*.example.com`), a trailing `*` by prefix (`example.*`), anything else is exact. A pattern with a port
// only matches that port; one without matches any port. Kong compares hosts as written; Sluice compares
// them lower-cased, since host names are case-insensitive (RFC 9110 §4.2.3).

export const HOST_EXACT = 0;
export const HOST_SUFFIX = 1;
export const HOST_PREFIX = 2;
export type HostKind = typeof HOST_EXACT | typeof HOST_SUFFIX | typeof HOST_PREFIX;

export class HostPattern {
  /** As configured; reported as `Match.hostMatched`. */
  readonly pattern: string;
  readonly kind: HostKind;
  /** Lower-case host name (exact), the suffix after `*`, or the prefix before `*`. */
  readonly value: string;
  /** 0 = any port. */
  readonly port: number;

  constructor(pattern: string) {
    this.pattern = pattern;
    const [name, port] = splitPort(pattern.toLowerCase());
    this.port = port;
    if (name.charCodeAt(0) === 0x2a) {
      this.kind = HOST_SUFFIX;
      this.value = name.slice(1);
    } else if (name.charCodeAt(name.length - 1) === 0x2a) {
      this.kind = HOST_PREFIX;
      this.value = name.slice(0, -1);
    } else {
      this.kind = HOST_EXACT;
      this.value = name;
    }
  }

  matches(hostname: string, port: number): boolean {
    if (this.port !== 0 && this.port !== port) return false;
    if (this.kind === HOST_EXACT) return hostname === this.value;
    return this.kind === HOST_SUFFIX ? hostname.endsWith(this.value) : hostname.startsWith(this.value);
  }
}

/** Build time: `name:port` → [name, port]; 0 when there is no numeric port (`[v6]:port` understood). */
function splitPort(host: string): [string, number] {
  const colon = host.lastIndexOf(':');
  if (colon === -1 || (host.charCodeAt(0) === 0x5b && host.lastIndexOf(']') > colon)) return [host, 0];
  const port = parsePort(host, colon + 1);
  return port < 0 ? [host, 0] : [host.slice(0, colon), port];
}

/** Digits from `from` to the end as a number, or -1. No allocation. */
function parsePort(s: string, from: number): number {
  if (from >= s.length || s.length - from > 5) return -1;
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/**
 * Per-request Host header parse, reused by one router so the hot path allocates nothing when the
 * header is lower-case and has no port (and only the name slice otherwise).
 */
export class RequestHost {
  hostname = '';
  port = 0;

  parse(header: string, defaultPort: number): void {
    let end = header.length;
    let port = defaultPort;
    const colon = header.lastIndexOf(':');
    if (colon !== -1 && !(header.charCodeAt(0) === 0x5b && header.lastIndexOf(']') > colon)) {
      const parsed = parsePort(header, colon + 1);
      if (parsed >= 0) {
        end = colon;
        port = parsed;
      }
    }
    const name = end === header.length ? header : header.slice(0, end);
    this.hostname = hasUpper(name) ? name.toLowerCase() : name;
    this.port = port;
  }
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}
