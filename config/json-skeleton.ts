// The top level of a JSON declarative config read without parsing its entries: each top-level
// field's raw text and, for the collections, each entry's raw text. Pure; runs on any thread.
//
// A config preparer (config/incremental.ts) compares entries by their raw text with the last
// config's and parses only those that differ: at 10,000 routes, JSON.parse of the whole 1 MB text
// was most of a one-route change. The scan is strict about the skeleton (the braces, brackets,
// commas and colons between fields and entries, nothing but JSON whitespace around them, no
// duplicate top-level key) and finds each entry's end by its brackets and strings without checking
// what is inside: an entry's text is either equal to one that parsed before (the same JSON value)
// or parsed on its own. So when the scan succeeds, the text is valid JSON exactly when each new
// entry text and each field text parses, and it parses to those values. Anything unusual answers
// null and the caller parses the whole text.

export interface SkeletonField {
  key: string;
  /** The value's raw text. */
  raw: string;
  /** For a field named in `collections` whose value is an array: each entry's raw text. */
  entries: string[] | null;
}

export function scanSkeleton(text: string, collections: ReadonlySet<string>): SkeletonField[] | null {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) return null;
  i = skipWs(text, i + 1);
  const fields: SkeletonField[] = [];
  const seen = new Set<string>();
  if (text.charCodeAt(i) === CLOSE_OBJECT) {
    i++;
  } else {
    for (;;) {
      if (text.charCodeAt(i) !== QUOTE) return null;
      const keyEnd = stringEnd(text, i);
      if (keyEnd < 0) return null;
      let key: unknown;
      try {
        key = JSON.parse(text.slice(i, keyEnd));
      } catch {
        return null;
      }
      // A repeated key: JSON.parse keeps the last value; not worth following here.
      if (typeof key !== 'string' || seen.has(key)) return null;
      seen.add(key);
      i = skipWs(text, keyEnd);
      if (text.charCodeAt(i) !== COLON) return null;
      i = skipWs(text, i + 1);
      const start = i;
      let entries: string[] | null = null;
      if (collections.has(key) && text.charCodeAt(i) === OPEN_ARRAY) {
        entries = [];
        i = skipWs(text, i + 1);
        if (text.charCodeAt(i) === CLOSE_ARRAY) {
          i++;
        } else {
          for (;;) {
            const end = valueEnd(text, i);
            if (end < 0) return null;
            entries.push(text.slice(i, end));
            i = skipWs(text, end);
            const c = text.charCodeAt(i);
            if (c === COMMA) {
              i = skipWs(text, i + 1);
              continue;
            }
            if (c !== CLOSE_ARRAY) return null;
            i++;
            break;
          }
        }
      } else {
        const end = valueEnd(text, i);
        if (end < 0) return null;
        i = end;
      }
      fields.push({ key, raw: text.slice(start, i), entries });
      i = skipWs(text, i);
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i = skipWs(text, i + 1);
        continue;
      }
      if (c !== CLOSE_OBJECT) return null;
      i++;
      break;
    }
  }
  return skipWs(text, i) === text.length ? fields : null;
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    // JSON's whitespace: space, tab, line feed, carriage return.
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** `i` at a string's opening quote: the index after its closing quote, or -1. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    // Escaped when an odd number of backslashes precede it.
    let b = q - 1;
    while (b > i && text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** `i` at a value's first character: the index after the value, or -1 (contents unchecked). */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        j = stringEnd(text, j);
        if (j < 0) return -1;
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
    j++;
  }
  return j > i ? j : -1;
}
