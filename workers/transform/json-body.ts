// Kong's JSON body edits for request-transformer and response-transformer, as pure functions over
// a Buffer. Runs on a worker thread for small bodies and on the worker's JSON pool thread
// (json-task.ts) for large ones, so both give byte-identical results.
//
// Lua truthiness decides as in Kong: a key "is there" for replace/add when its value is neither
// absent nor `false` (cjson's null is a truthy lightuserdata); response-transformer's rename
// only needs it not absent. A body that is not a JSON object (invalid JSON, an array, a scalar) is
// left as it is: Kong's edits index it as a table, which only a JSON object is for these keys.
//
// The body is never parsed into objects: json-scan.ts validates it and finds its top-level members
// in one pass, and the edited body is spliced together from spans of the original and the new
// members and values (JSON.stringify'd), in one buffer. Kong's edits only touch top-level keys, so
// nothing below them needs more than validating; a 5 MB edit costs a scan and a copy, not a heap
// of objects to build and collect. What is not edited keeps its bytes: formatting, number
// spellings (no precision lost on big integers), escapes, duplicate keys. Duplicates read as
// JSON.parse reads them: the last one is the value (for presence, replace, append, rename); a
// removed or renamed-away key loses every occurrence.

import { ARRAY, FALSE, OTHER, scanObject, STRING, type ScannedMember, type ValueKind } from './json-scan.ts';

/** One edit list, values already rendered (request-transformer templates) or cast (json_types). */
export interface JsonEdits {
  /** `request`: Kong's request-transformer rules; `response`: response-transformer's. */
  readonly mode: 'request' | 'response';
  readonly remove: readonly string[];
  readonly rename: readonly (readonly [string, string])[];
  readonly replace: readonly (readonly [string, unknown])[];
  readonly add: readonly (readonly [string, unknown])[];
  readonly append: readonly (readonly [string, unknown])[];
}

/**
 * A value as it will be written: `parts` in order; an array's closing `]` is left off (written
 * after them) so that an append adds its element as one more part.
 */
interface Value {
  readonly kind: ValueKind;
  readonly parts: Uint8Array[];
  /** An array with no element yet: an append adds no comma. */
  emptyArray: boolean;
}

/** A top-level member of the edited body: one of the original's, or one added at the end. */
interface Member {
  readonly key: string;
  /** Index into the scanned members, or -1 for a member added by an edit. */
  readonly original: number;
  /** Original value kind, until `value` is set. */
  readonly kind: ValueKind;
  /** The new value; null while an original member keeps its bytes. */
  value: Value | null;
  removed: boolean;
  /** The earlier occurrence of the same key in the original (a duplicate JSON.parse overwrote), or null. */
  readonly shadowed: Member | null;
}

const EMPTY_OBJECT = new Uint8Array([0x7b, 0x7d]);
const COMMA = new Uint8Array([0x2c]);
const COLON = new Uint8Array([0x3a]);
const OPEN_BRACKET = new Uint8Array([0x5b]);
const CLOSE_BRACKET = new Uint8Array([0x5d]);

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** A value from an edit, serialized as JSON.stringify does (what cjson.encode of the table did). */
function newValue(value: unknown): Value {
  const text = JSON.stringify(value);
  if (Array.isArray(value)) return { kind: ARRAY, parts: [utf8(text.slice(0, -1))], emptyArray: value.length === 0 };
  return { kind: value === false ? FALSE : typeof value === 'string' ? STRING : OTHER, parts: [utf8(text)], emptyArray: false };
}

/** Kong's append_value: a string becomes a list of both, a list grows, anything else is replaced by a list. */
function appended(current: Value | null, value: unknown): Value {
  const element = utf8(JSON.stringify(value));
  if (current !== null && current.kind === ARRAY) {
    if (!current.emptyArray) current.parts.push(COMMA);
    current.parts.push(element);
    current.emptyArray = false;
    return current;
  }
  if (current !== null && current.kind === STRING) return { kind: ARRAY, parts: [OPEN_BRACKET, ...current.parts, COMMA, element], emptyArray: false };
  return { kind: ARRAY, parts: [OPEN_BRACKET, element], emptyArray: false };
}

/**
 * The edited body, or null to send `body` as it is (nothing to change, or not a JSON object).
 * Keys live in a Map: a key named `__proto__` is data, never anything's prototype.
 */
export function editJson(body: Uint8Array, edits: JsonEdits): Buffer | null {
  const request = edits.mode === 'request';
  const hasBody = body.length > 0;
  // request-transformer adds and appends to an empty body as to `{}`; response-transformer
  // fails to parse it and leaves it.
  if (!hasBody && !request) return null;
  const source = hasBody ? body : EMPTY_OBJECT;
  const scanned = scanObject(source);
  if (scanned === null) return null;

  const members: Member[] = [];
  /** Key → its live member (the last occurrence): what JSON.parse would have kept. */
  const live = new Map<string, Member>();
  for (let i = 0; i < scanned.members.length; i++) {
    const { key, kind } = scanned.members[i]!;
    const member: Member = { key, original: i, kind, value: null, removed: false, shadowed: live.get(key) ?? null };
    members.push(member);
    live.set(key, member);
  }
  const kindOf = (member: Member | undefined): ValueKind | undefined => (member === undefined ? undefined : (member.value?.kind ?? member.kind));
  const present = (member: Member | undefined): boolean => member !== undefined && kindOf(member) !== FALSE;
  /** The member's current value, made a Value (its original bytes) if it had none yet. */
  const valueOf = (member: Member): Value => {
    if (member.value !== null) return member.value;
    const m = scanned.members[member.original]!;
    const array = m.kind === ARRAY;
    return { kind: m.kind, parts: [source.subarray(m.valueStart, array ? m.end - 1 : m.end)], emptyArray: m.emptyArray };
  };
  const remove = (name: string): Member | undefined => {
    const member = live.get(name);
    if (member === undefined) return undefined;
    for (let m: Member | null = member; m !== null; m = m.shadowed) m.removed = true;
    live.delete(name);
    return member;
  };
  /** Sets `name` as `doc[name] = value` would: in place when it is there, else a member at the end. */
  const set = (name: string, value: Value): void => {
    const member = live.get(name);
    if (member !== undefined) {
      member.value = value;
      return;
    }
    const added: Member = { key: name, original: -1, kind: value.kind, value, removed: false, shadowed: null };
    members.push(added);
    live.set(name, added);
  };

  let changed = false;
  // Kong's request-transformer removes, renames and replaces only in a non-empty body.
  if (hasBody || !request) {
    for (const name of edits.remove) if (remove(name) !== undefined) changed = true;
    for (const [from, to] of edits.rename) {
      const member = live.get(from);
      if (request ? !present(member) || from === to : member === undefined) continue;
      const value = valueOf(member!);
      remove(from);
      set(to, value);
      changed = true;
    }
    for (const [name, value] of edits.replace) {
      const member = live.get(name);
      if (!present(member) || value === undefined) continue;
      member!.value = newValue(value);
      changed = true;
    }
  }
  for (const [name, value] of edits.add) {
    if (present(live.get(name)) || value === undefined) continue;
    set(name, newValue(value));
    changed = true;
  }
  for (const [name, value] of edits.append) {
    if (value === undefined) continue;
    const member = live.get(name);
    set(name, appended(member === undefined ? null : valueOf(member), value));
    changed = true;
  }
  return changed ? splice(source, scanned.members, scanned.close, members) : null;
}

/**
 * The body with `members` in place of the original's: what lies before the first member (the
 * `{` and the space after it) and after the last (the space before `}`), the kept members in order,
 * each followed by the separator that followed it in the original (one comma, whitespace around it)
 * or, for the last original and added members, the original's first separator.
 */
function splice(source: Uint8Array, scanned: readonly ScannedMember[], close: number, members: readonly Member[]): Buffer {
  const first = scanned[0];
  const last = scanned[scanned.length - 1];
  const second = scanned[1];
  const separator = first !== undefined && second !== undefined ? source.subarray(first.end, second.start) : COMMA;
  // Added members take the original's `:` with its whitespace, so they read like their neighbours.
  const colon = first !== undefined ? source.subarray(first.keyEnd, first.valueStart) : COLON;
  const parts: Uint8Array[] = [source.subarray(0, first?.start ?? close)];
  let needsSeparator = false;
  let pending: Uint8Array = separator;
  for (const member of members) {
    if (member.removed) continue;
    if (needsSeparator) parts.push(pending);
    if (member.original >= 0) {
      const m = scanned[member.original]!;
      const next = scanned[member.original + 1];
      if (member.value === null) parts.push(source.subarray(m.start, m.end));
      else {
        parts.push(source.subarray(m.start, m.valueStart));
        pushValue(parts, member.value);
      }
      pending = next !== undefined ? source.subarray(m.end, next.start) : separator;
    } else {
      parts.push(utf8(JSON.stringify(member.key)), colon);
      pushValue(parts, member.value!);
      pending = separator;
    }
    needsSeparator = true;
  }
  parts.push(source.subarray(last?.end ?? close));
  let length = 0;
  for (const part of parts) length += part.length;
  // Unpooled, so the pool thread can transfer its memory as it is (json-task.ts).
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function pushValue(parts: Uint8Array[], value: Value): void {
  for (const part of value.parts) parts.push(part);
  if (value.kind === ARRAY) parts.push(CLOSE_BRACKET);
}

/** No edit at all: the body need not be read. */
export function noJsonEdits(edits: JsonEdits): boolean {
  return edits.remove.length === 0 && edits.rename.length === 0 && edits.replace.length === 0 && edits.add.length === 0 && edits.append.length === 0;
}
