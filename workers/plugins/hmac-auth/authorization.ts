// Runs on a worker thread: hmac-auth's Authorization parse, in linear time.
// Kong matches the header against
//   \s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"
// Four greedy groups under a backtracking engine cost cubic time on a crafted value that almost
// matches: `hmac username="` then `",algorithm="",headers="` repeated with no signature takes V8
// 0.41 s at 8 KB, about 3 s at the 16 KiB head limit, on the worker thread every other request
// waits for. This parse returns the groups that regex returns, from a few scans of the value.
//
// Why it is the same answer: a separator `",\s*name="` is fixed by the position of its `",` (the
// whitespace run ends where `name` begins, since no name starts with whitespace), so each group
// ends at a separator start. Greedy groups with backtracking take, left to right, the longest
// group after which the rest can still match; the rest matches after group k ends at separator
// start i exactly when a later separator can end the next group, and so on. Working from the
// right: the last group ends at the last `"`; the third ends at the last `signature` separator
// that leaves the fourth non-empty; the second at the last `headers` separator before that one;
// the first at the last `algorithm` separator before that; and the match starts at the first
// `[Hh]mac\s*username="` whose username would be non-empty — the leftmost start, as exec() tries.
// Each scan looks at every `",` once and each whitespace run after one once, so the whole parse
// is linear.
//
// `.` excludes line terminators while `\s` does not; header values never hold CR or LF (the HTTP/1
// parser refuses them, HTTP/2 forbids them) nor U+2028/U+2029 (values are latin1), so such a value
// is simply refused (null) rather than given the regex's line-by-line reading.

/** The four groups, as the regex's captures. */
export interface HmacAuthorization {
  readonly username: string;
  readonly algorithm: string;
  readonly headers: string;
  readonly signature: string;
}

const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/** JavaScript's `\s`: the ASCII whitespace controls, space, and Unicode's space separators and BOM. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

function skipSpaces(text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** Where the group after the separator `",\s*name` starting at `at` begins, or -1 when none starts there. */
function separatorEnd(text: string, at: number, name: string): number {
  const word = skipSpaces(text, at + 2);
  return text.startsWith(name, word) ? word + name.length : -1;
}

/**
 * The last `",\s*name` separator whose following group would be non-empty before `limit` (the
 * next group's end), or -1.
 */
function lastSeparator(text: string, name: string, limit: number): number {
  for (let at = text.lastIndexOf('",', limit - 1); at !== -1; at = at === 0 ? -1 : text.lastIndexOf('",', at - 1)) {
    const end = separatorEnd(text, at, name);
    if (end !== -1 && end < limit) return at;
  }
  return -1;
}

/** The groups Kong's pattern captures from this value, or null when it does not match. */
export function parseHmacAuthorization(value: string): HmacAuthorization | null {
  if (LINE_TERMINATOR.test(value)) return null;
  const last = value.lastIndexOf('"');
  const signatureAt = last === -1 ? -1 : lastSeparator(value, 'signature="', last);
  const headersAt = signatureAt === -1 ? -1 : lastSeparator(value, 'headers="', signatureAt);
  const algorithmAt = headersAt === -1 ? -1 : lastSeparator(value, 'algorithm="', headersAt);
  if (algorithmAt === -1) return null;
  const username = usernameStart(value, algorithmAt);
  if (username === -1) return null;
  const algorithm = separatorEnd(value, algorithmAt, 'algorithm="');
  const headers = separatorEnd(value, headersAt, 'headers="');
  const signature = separatorEnd(value, signatureAt, 'signature="');
  return {
    username: value.slice(username, algorithmAt),
    algorithm: value.slice(algorithm, headersAt),
    headers: value.slice(headers, signatureAt),
    signature: value.slice(signature, last),
  };
}

/** Where the username of the first `[Hh]mac\s*username="` begins, if that leaves it non-empty before `limit`; else -1. */
function usernameStart(text: string, limit: number): number {
  for (let at = text.indexOf('mac', 1); at !== -1 && at < limit; at = text.indexOf('mac', at + 3)) {
    const h = text.charCodeAt(at - 1);
    if (h !== 0x48 && h !== 0x68) continue;
    const word = skipSpaces(text, at + 3);
    if (!text.startsWith('username="', word)) continue;
    // The first such prefix decides: a later one starts later, and exec() takes the leftmost match.
    const start = word + 'username="'.length;
    return start < limit ? start : -1;
  }
  return -1;
}
