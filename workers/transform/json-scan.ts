// A validating scan of a JSON object's UTF-8 bytes, for the top-level edits of json-body.ts. Pure:
// runs on a worker thread (small bodies) and on the worker's JSON pool thread (large ones).
//
// One pass over the bytes, nothing decoded but the top-level keys: it accepts exactly what
// JSON.parse accepts of the body as Buffer#toString('utf8') would give it (RFC 8259: whitespace is
// space, tab, CR, LF; no raw control characters in strings; escapes `\" \\ \/ \b \f \n \r \t
// \uXXXX`; numbers without leading zeros, `+` or bare points; nesting to any depth, as V8's own
// parser allows). Bytes from 0x80 up are only ever inside strings, where they are copied, never
// judged: toString would turn an invalid UTF-8 sequence into U+FFFD and JSON.parse accept it, so
// refusing it here would refuse what the parse path edits. Such a sequence can never swallow a
// quote or backslash (both ASCII), so scanning bytes and scanning decoded text agree.
//
// Nesting is tracked on an explicit stack, not by recursion: a deeply nested body can neither
// overflow the thread's stack nor be refused where JSON.parse takes it.

/** What the edit rules need to know of a value (Kong's Lua truthiness, append_value). */
export const FALSE = 0;
export const STRING = 1;
export const ARRAY = 2;
export const OTHER = 3;
export type ValueKind = typeof FALSE | typeof STRING | typeof ARRAY | typeof OTHER;

/** One top-level member: `"key" : value`, as byte offsets into the body. */
export interface ScannedMember {
  /** The key, decoded (escapes resolved), as JSON.parse would name the property. */
  readonly key: string;
  /** The key's opening quote: where the member starts. */
  readonly start: number;
  /** Just past the key's closing quote: [keyEnd, valueStart) is the colon and the whitespace around it. */
  readonly keyEnd: number;
  /** The value's first byte. */
  readonly valueStart: number;
  /** Just past the value's last byte: where the member ends. */
  readonly end: number;
  readonly kind: ValueKind;
  /** An array value with no element (`[]`, `[ ]`). */
  readonly emptyArray: boolean;
}

/** A JSON object's top-level members in body order, duplicates included, and its closing brace. */
export interface ScannedObject {
  readonly members: readonly ScannedMember[];
  /** Offset of the object's closing `}`. */
  readonly close: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** The top-level members, or null: not valid JSON, or valid but not an object. */
export function scanObject(b: Uint8Array): ScannedObject | null {
  const n = b.length;
  let p = skipSpace(b, 0);
  if (p >= n || b[p] !== OPEN_BRACE) return null;
  p = skipSpace(b, p + 1);
  const members: ScannedMember[] = [];
  if (b[p] !== CLOSE_BRACE) {
    for (;;) {
      const start = p;
      if (b[p] !== QUOTE) return null;
      const keyEnd = skipString(b, p + 1);
      if (keyEnd < 0) return null;
      p = skipSpace(b, keyEnd);
      if (b[p] !== COLON) return null;
      const valueStart = skipSpace(b, p + 1);
      const end = skipValue(b, valueStart);
      if (end < 0) return null;
      const first = b[valueStart];
      const kind: ValueKind = first === QUOTE ? STRING : first === OPEN_BRACKET ? ARRAY : first === 0x66 /* f */ ? FALSE : OTHER;
      members.push({ key: decodeString(b, start + 1, keyEnd - 1), start, keyEnd, valueStart, end, kind, emptyArray: kind === ARRAY && b[skipSpace(b, valueStart + 1)] === CLOSE_BRACKET });
      p = skipSpace(b, end);
      if (b[p] === COMMA) {
        p = skipSpace(b, p + 1);
        continue;
      }
      if (b[p] === CLOSE_BRACE) break;
      return null;
    }
  }
  const close = p;
  return skipSpace(b, close + 1) === n ? { members, close } : null;
}

function skipSpace(b: Uint8Array, p: number): number {
  const n = b.length;
  while (p < n) {
    const c = b[p]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    p++;
  }
  return p;
}

const isHex = (c: number | undefined): boolean => c !== undefined && ((c >= ZERO && c <= NINE) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66));

/** Just past the closing quote of the string whose content starts at `p`, or -1. */
function skipString(b: Uint8Array, p: number): number {
  const n = b.length;
  while (p < n) {
    const c = b[p]!;
    if (c === QUOTE) return p + 1;
    if (c === BACKSLASH) {
      const e = b[p + 1];
      if (e === 0x75 /* u */) {
        if (!isHex(b[p + 2]) || !isHex(b[p + 3]) || !isHex(b[p + 4]) || !isHex(b[p + 5])) return -1;
        p += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        p += 2;
      } else return -1;
    } else if (c < 0x20) return -1;
    else p++;
  }
  return -1;
}

/** Just past the number starting at `p`, or -1. */
function skipNumber(b: Uint8Array, p: number): number {
  if (b[p] === MINUS) p++;
  let c = b[p];
  if (c === ZERO) p++;
  else if (c !== undefined && c > ZERO && c <= NINE) p = skipDigits(b, p + 1);
  else return -1;
  if (b[p] === 0x2e /* . */) {
    const from = p + 1;
    p = skipDigits(b, from);
    if (p === from) return -1;
  }
  c = b[p];
  if (c === 0x65 || c === 0x45 /* e E */) {
    p++;
    if (b[p] === 0x2b || b[p] === MINUS) p++;
    const from = p;
    p = skipDigits(b, from);
    if (p === from) return -1;
  }
  return p;
}

function skipDigits(b: Uint8Array, p: number): number {
  const n = b.length;
  while (p < n) {
    const c = b[p]!;
    if (c < ZERO || c > NINE) break;
    p++;
  }
  return p;
}

/** Just past `word` at `p`, or -1. */
function skipWord(b: Uint8Array, p: number, word: readonly number[]): number {
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return -1;
  return p + word.length;
}

const TRUE_BYTES = [0x74, 0x72, 0x75, 0x65];
const FALSE_BYTES = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL_BYTES = [0x6e, 0x75, 0x6c, 0x6c];

/** Open containers on the stack: an array expects `,` or `]` after a value, an object `,` or `}`. */
const IN_ARRAY = 1;
const IN_OBJECT = 2;

/** Just past the value starting at `p` (whitespace before it already skipped), or -1. */
function skipValue(b: Uint8Array, p: number): number {
  let stack = new Uint8Array(16);
  let depth = 0;
  for (;;) {
    // At the start of a value.
    const c = b[p];
    if (c === QUOTE) p = skipString(b, p + 1);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const inner = skipSpace(b, p + 1);
      if (b[inner] === (c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) p = inner + 1;
      else {
        if (depth === stack.length) {
          const grown = new Uint8Array(depth * 2);
          grown.set(stack);
          stack = grown;
        }
        stack[depth++] = c === OPEN_BRACE ? IN_OBJECT : IN_ARRAY;
        p = c === OPEN_BRACE ? skipKey(b, inner) : inner;
        if (p < 0) return -1;
        continue;
      }
    } else if (c === 0x74) p = skipWord(b, p, TRUE_BYTES);
    else if (c === 0x66) p = skipWord(b, p, FALSE_BYTES);
    else if (c === 0x6e) p = skipWord(b, p, NULL_BYTES);
    else p = skipNumber(b, p);
    if (p < 0) return -1;
    // After a value: close what it ends, or move to the next element or member.
    for (;;) {
      if (depth === 0) return p;
      p = skipSpace(b, p);
      const d = b[p];
      const open = stack[depth - 1];
      if (d === COMMA) {
        p = skipSpace(b, p + 1);
        if (open === IN_OBJECT) p = skipKey(b, p);
        if (p < 0) return -1;
        break;
      }
      if (d !== (open === IN_OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) return -1;
      p++;
      depth--;
    }
  }
}

/** From a member's key at `p` to the start of its value, or -1. */
function skipKey(b: Uint8Array, p: number): number {
  if (b[p] !== QUOTE) return -1;
  p = skipString(b, p + 1);
  if (p < 0) return -1;
  p = skipSpace(b, p);
  if (b[p] !== COLON) return -1;
  return skipSpace(b, p + 1);
}

const ESCAPED: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
// ignoreBOM: a key that starts with U+FEFF keeps it, as JSON.parse keeps it.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A string's content [from, to), already validated, as JSON.parse would give it: UTF-8 runs
 * decoded as Buffer#toString does (an invalid sequence becomes U+FFFD), escapes resolved, a
 * `\uXXXX` as that UTF-16 code unit (two of them make a surrogate pair, one alone stays alone).
 */
export function decodeString(b: Uint8Array, from: number, to: number): string {
  let out = '';
  let run = from;
  for (let p = from; p < to; ) {
    if (b[p] !== BACKSLASH) {
      p++;
      continue;
    }
    if (p > run) out += decoder.decode(b.subarray(run, p));
    const e = b[p + 1]!;
    if (e === 0x75) {
      out += String.fromCharCode(Number.parseInt(String.fromCharCode(b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!), 16));
      p += 6;
    } else {
      out += ESCAPED[e]!;
      p += 2;
    }
    run = p;
  }
  return run < to ? out + decoder.decode(b.subarray(run, to)) : out;
}
