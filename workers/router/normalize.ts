// Request path normalization before routing (worker thread, hot path).
//
// Kong normalizes the request path before it matches routes (kong/tools/uri.lua) and forwards the
// normalized path. Sluice does the same steps in one pass over segments:
//   1. decode percent-encoded *unreserved* characters (ALPHA DIGIT - . _ ~, RFC 3986 §2.3) and write the
//      other escapes with upper-case hex (§6.2.2.1), so `%7e` → `~` and `%2f` → `%2F`;
//   2. remove dot segments (§5.2.4), after decoding, so `/%2e%2e/` counts as `/../`;
//   3. merge repeated slashes, while removing dot segments as Kong does (`/a//../b` → `/b`).
// Unlike Kong, characters that are neither reserved nor unreserved (`%20`, UTF-8 bytes) stay encoded:
// Kong decodes them and re-escapes them when forwarding, which sends the same bytes upstream, and keeping
// them encoded means a decoded byte can never become a delimiter. `%2F`, `%3F`, `%25` stay encoded.
//
// Invariant of a result: starts with '/', holds no '//' and no '.' or '..' segment, and every '%' begins an
// upper-case triplet that does not encode an unreserved character. So normalizing a result returns it unchanged.

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const HEX = '0123456789ABCDEF';

/**
 * Normalizes a raw request path (no query). Returns the input itself, without allocating, when it is
 * already normal; returns null when it is malformed: empty, not starting with '/', or with a '%' not
 * followed by two hex digits. The caller answers a malformed path with 400.
 */
export function normalizePath(raw: string): string | null {
  if (raw.length === 0 || raw.charCodeAt(0) !== SLASH) return null;
  if (isNormal(raw)) return raw;
  const decoded = raw.indexOf('%') === -1 ? raw : decodeUnreserved(raw);
  if (decoded === null) return null;
  return removeDotSegments(decoded);
}

/** True when no step would change the path: no '%', no '//', no segment starting with '.'. */
function isNormal(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT) return false;
    if (c === SLASH && i + 1 < path.length) {
      const next = path.charCodeAt(i + 1);
      // A segment like `.well-known` also lands here; the slow path returns it unchanged.
      if (next === SLASH || next === DOT) return false;
    }
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === DOT || c === 0x5f || c === 0x7e
  );
}

function decodeUnreserved(path: string): string | null {
  let out = '';
  let from = 0;
  let i = path.indexOf('%');
  while (i !== -1) {
    if (i + 2 >= path.length) return null;
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return null;
    const byte = hi * 16 + lo;
    out += path.slice(from, i);
    out += isUnreserved(byte) ? String.fromCharCode(byte) : '%' + HEX[hi]! + HEX[lo]!;
    from = i + 3;
    i = path.indexOf('%', from);
  }
  return out + path.slice(from);
}

/** RFC 3986 remove_dot_segments on an absolute path, with empty segments dropped (merged slashes). */
function removeDotSegments(path: string): string {
  const kept: string[] = [];
  let start = 1;
  let end = path.indexOf('/', start);
  let segment: string;
  for (;;) {
    segment = path.slice(start, end === -1 ? path.length : end);
    if (segment === '..') kept.pop();
    else if (segment !== '.' && segment !== '') kept.push(segment);
    if (end === -1) break;
    start = end + 1;
    end = path.indexOf('/', start);
  }
  if (kept.length === 0) return '/';
  // `/a/`, `/a/.` and `/a/b/..` all end on a directory: keep the trailing slash.
  const directory = segment === '' || segment === '.' || segment === '..';
  return '/' + kept.join('/') + (directory ? '/' : '');
}
