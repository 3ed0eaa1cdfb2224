// Kong's service `url` shorthand, and the port default that depends on the protocol.
// Pure; runs on any thread. Runs on an item's raw fields before its schema does.
import type { ErrorList } from './errors.ts';
import type { Item } from './item.ts';

// scheme://host[:port][/path]; the host may be a bracketed IPv6 literal.
const URL_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#[\]]*)(?::([^/?#]*))?(\/[^?#]*)?$/;

export function expandServiceShorthands(item: Item, errors: ErrorList): void {
  const v = item.value;
  if (v['url'] !== undefined && v['url'] !== null) {
    const url = v['url'];
    delete v['url'];
    // Kong's shorthand wins: the url sets protocol, host, port and path, whatever else was written
    // (a Kong export often carries both). The url's own error says it all: the parts it would have
    // set are not reported again.
    for (const f of URL_PARTS) {
      item.suppressed.add(f);
      delete v[f];
    }
    if (typeof url !== 'string') {
      errors.add(item, 'url', 'expected a string');
    } else if (expandUrl(item, url, errors)) {
      item.suppressed.clear();
    }
  } else {
    delete v['url'];
  }
  if (v['port'] === undefined || v['port'] === null) {
    v['port'] = v['protocol'] === 'https' || v['protocol'] === 'wss' ? 443 : 80;
  }
}

const URL_PARTS = ['protocol', 'host', 'port', 'path'];
const KONG_PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss']);

function expandUrl(item: Item, url: string, errors: ErrorList): boolean {
  const m = URL_RE.exec(url);
  if (m === null) {
    errors.add(item, 'url', 'invalid url: expected scheme://host[:port][/path] without query or fragment');
    return false;
  }
  const scheme = (m[1] as string).toLowerCase();
  // Kong's other service protocols are valid: `protocol` is set and refused as unsupported there.
  if (!KONG_PROTOCOLS.has(scheme)) {
    errors.add(item, 'url', 'invalid url: scheme must be http or https');
    return false;
  }
  const host = m[2] as string;
  if (host === '') {
    errors.add(item, 'url', 'invalid url: missing host');
    return false;
  }
  const v = item.value;
  v['protocol'] = scheme;
  v['host'] = host;
  if (m[3] !== undefined) {
    const port = /^\d{1,5}$/.test(m[3]) ? Number(m[3]) : NaN;
    if (!(port >= 0 && port <= 65535)) {
      errors.add(item, 'url', 'invalid url: port must be an integer between 0 and 65535');
      return false;
    }
    v['port'] = port;
  }
  // Kong keeps the path exactly as written, and none when the url has none.
  v['path'] = m[4] ?? null;
  return true;
}
