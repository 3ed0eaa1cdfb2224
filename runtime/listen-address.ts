// Listen addresses of `node runtime` (primary thread): `--proxy-listen`, `--admin-listen`,
// `--status-listen` and Kong's KONG_*_LISTEN variables share one syntax, Kong's own:
//   ADDRESS:PORT [flag ...] [, ADDRESS:PORT [flag ...]]
// e.g. `0.0.0.0:8000 reuseport backlog=16384` or `[::1]:8001`. Sluice has one listener of each
// kind; the proxy's may name one plain and one `ssl` address (Kong's usual
// `0.0.0.0:8000, 0.0.0.0:8443 ssl`: parseProxyListen). Any other list, `ssl` elsewhere, `http2`,
// `proxy_protocol` and the other nginx socket flags are refused (SLUICE_ERR_OPTION_UNSUPPORTED),
// never silently dropped.
import { SluiceError } from './protocol/errors.ts';

export interface ListenAddress {
  host: string;
  port: number;
  /** listen(2)'s backlog (Kong's `backlog=N`); null: Node's default (511). */
  backlog: number | null;
}

/** Flags accepted because Sluice already does what they ask. */
const BUILT_IN_FLAGS = new Set([
  // Every proxy worker binds its own socket with SO_REUSEPORT; the primary's listeners are single.
  'reuseport',
  // Sluice always binds the address it is given (nginx's bind: a separate bind() per address).
  'bind',
]);

export function parsePort(value: string, what: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new SluiceError('SLUICE_ERR_OPTION_INVALID', `${what}: not a port: ${value}`);
  return port;
}

/** `HOST:PORT`, `[IPv6]:PORT`, or a bare `PORT` (on 127.0.0.1). */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  let host = at > 0 ? value.slice(0, at) : '127.0.0.1';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) throw new SluiceError('SLUICE_ERR_OPTION_INVALID', `${what}: an IPv6 address goes in brackets, e.g. [::]:8000: ${value}`);
  const port = parsePort(at >= 0 ? value.slice(at + 1) : value, what);
  return { host, port };
}

/**
 * Parses one listen value. `off` gives null where `offAllowed` (the status listener), else it is
 * refused like any other thing Sluice cannot do.
 */
export function parseListen(value: string, what: string, offAllowed = false): ListenAddress | null {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new SluiceError('SLUICE_ERR_OPTION_INVALID', `${what}: no address in "${value}"`);
  if (entries.length === 1 && entries[0] === 'off') {
    if (offAllowed) return null;
    throw unsupported(what, value, '`off` (this listener cannot be turned off)');
  }
  // Each entry first, so that Kong's usual `0.0.0.0:8000, 0.0.0.0:8443 ssl` names its `ssl`.
  const listens = entries.map((entry) => parseEntry(entry, what, value));
  if (listens.length > 1) throw unsupported(what, value, 'more than one address (Sluice has one listener of each kind: keep one plain HTTP address)');
  return listens[0]!;
}

/** The proxy's addresses: at most one plain and one `ssl` (either may be absent, not both). */
export interface ProxyListen {
  plain: ListenAddress | null;
  ssl: ListenAddress | null;
}

export function parseProxyListen(value: string, what: string): ProxyListen {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new SluiceError('SLUICE_ERR_OPTION_INVALID', `${what}: no address in "${value}"`);
  if (entries.length === 1 && entries[0] === 'off') throw unsupported(what, value, '`off` (this listener cannot be turned off)');
  const result: ProxyListen = { plain: null, ssl: null };
  for (const entry of entries) {
    const ssl = entry.split(/\s+/).includes('ssl');
    const listen = parseEntry(entry, what, value, ssl);
    if ((ssl ? result.ssl : result.plain) !== null) throw unsupported(what, value, `more than one ${ssl ? '`ssl`' : 'plain'} address (Sluice has one plain HTTP and one TLS proxy listener)`);
    if (ssl) result.ssl = listen;
    else result.plain = listen;
  }
  return result;
}

function parseEntry(entry: string, what: string, value: string, sslAllowed = false): ListenAddress {
  const [address = '', ...flags] = entry.split(/\s+/);
  const listen: ListenAddress = { ...parseHostPort(address, what), backlog: null };
  for (const flag of flags) {
    if (BUILT_IN_FLAGS.has(flag) || (sslAllowed && flag === 'ssl')) continue;
    const backlog = /^backlog=(\d+)$/.exec(flag);
    if (backlog !== null) {
      listen.backlog = Number(backlog[1]);
      continue;
    }
    throw unsupported(what, value, flag === 'ssl' ? '`ssl` (only the proxy listener speaks TLS)' : flag === 'http2' ? '`http2` (the proxy listener speaks HTTP/1.1)' : `the flag \`${flag}\``);
  }
  return listen;
}

function unsupported(what: string, value: string, part: string): SluiceError {
  return new SluiceError('SLUICE_ERR_OPTION_UNSUPPORTED', `${what}="${value}": ${part} is not supported`);
}
