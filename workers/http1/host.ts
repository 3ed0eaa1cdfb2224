// Host header and request-target checks of the proxy listener (worker thread), RFC 9112 §3.2:
// a request's authority is one Host field whose value is `uri-host [ ":" port ]` (RFC 3986), and
// an absolute-form target (`GET http://a.example/x HTTP/1.1`) replaces it.
import { isIPv6 } from 'node:net';

/**
 * RFC 3986 reg-name (unreserved, pct-encoded, sub-delims), which also covers IPv4 addresses, but
 * without the comma: a sub-delim no DNS name holds, and the separator of a Host *list* (two Hosts
 * joined by a proxy or a client), which must never be taken for one authority.
 */
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+;=]|%[0-9A-Fa-f]{2})+$/;
const IPV_FUTURE = /^v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;
const PORT = /^[0-9]{1,5}$/;

/** `value` is `host [":" port]` with a non-empty reg-name, IPv4 or IP-literal host and a port 1–65535. */
export function validHost(value: string): boolean {
  let portAt: number;
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    const close = value.indexOf(']');
    if (close === -1) return false;
    const literal = value.slice(1, close);
    if (!isIPv6(literal) && !IPV_FUTURE.test(literal)) return false;
    if (close === value.length - 1) return true;
    if (value.charCodeAt(close + 1) !== 0x3a /* : */) return false;
    portAt = close + 2;
  } else {
    const colon = value.indexOf(':');
    if (!REG_NAME.test(colon === -1 ? value : value.slice(0, colon))) return false;
    if (colon === -1) return true;
    portAt = colon + 1;
  }
  const port = value.slice(portAt);
  if (!PORT.test(port)) return false;
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

/** scheme "://" authority, then the rest of the target (path, query). */
const ABSOLUTE = /^https?:\/\/([^/?#]*)(.*)$/is;

/**
 * Splits an absolute-form target into its authority and the origin-form target the rest of the
 * proxy sees; null when it is not an http(s) URI with a valid authority (userinfo included: an
 * `@` is no reg-name character).
 */
export function absoluteForm(target: string): { authority: string; path: string } | null {
  const match = ABSOLUTE.exec(target);
  if (match === null) return null;
  const authority = match[1]!;
  if (!validHost(authority)) return null;
  const rest = match[2]!;
  return { authority, path: rest === '' ? '/' : rest.charCodeAt(0) === 0x2f ? rest : `/${rest}` };
}
