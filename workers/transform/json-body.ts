// Kong's JSON body edits for request-transformer and response-transformer, as pure functions over
// a Buffer. Runs on a worker thread for small bodies and on the worker's JSON pool thread
// (json-task.ts) for large ones, so both give byte-identical results.
//
// Lua truthiness decides as in Kong: a key "is there" for replace/add when its value is neither
// absent nor `false` (cjson's null is a truthy lightuserdata); response-transformer's rename
// only needs it not absent. A body that is not a JSON object (invalid JSON, an array, a scalar) is
// left as it is: Kong's edits index it as a table, which only a JSON object is for these keys.

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

type JsonObject = Record<string, unknown>;

const present = (v: unknown): boolean => v !== undefined && v !== false;

/** Kong's append_value: a string becomes a list of both, a list grows, anything else is replaced by a list. */
function appended(current: unknown, value: unknown): unknown[] {
  if (typeof current === 'string') return [current, value];
  if (Array.isArray(current)) {
    current.push(value);
    return current;
  }
  return [value];
}

function parseObject(text: string): JsonObject | null | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : null;
}

/**
 * The edited body, or null to send `body` as it is (nothing to change, or not a JSON object).
 * Keys are set with defineProperty-free assignment on a prototype-less copy: a key named
 * `__proto__` is data, never the object's prototype.
 */
export function editJson(body: Uint8Array, edits: JsonEdits): Buffer | null {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const hasBody = bytes.length > 0;
  let doc: JsonObject;
  if (hasBody) {
    const parsed = parseObject(bytes.toString('utf8'));
    if (parsed === undefined || parsed === null) return null;
    doc = Object.assign(Object.create(null) as JsonObject, parsed);
    // JSON.parse made `__proto__` an own property; Object.assign would have used the setter.
    if (Object.hasOwn(parsed, '__proto__')) doc['__proto__'] = parsed['__proto__'];
  } else {
    // request-transformer adds and appends to an empty body as to `{}`; response-transformer
    // fails to parse it and leaves it.
    if (edits.mode === 'response') return null;
    doc = Object.create(null) as JsonObject;
  }
  const request = edits.mode === 'request';
  let changed = !request;
  // Kong's request-transformer removes, renames and replaces only in a non-empty body.
  if (hasBody || !request) {
    for (const name of edits.remove) {
      delete doc[name];
      changed = true;
    }
    for (const [from, to] of edits.rename) {
      const value = doc[from];
      if (request ? !present(value) || from === to : value === undefined) continue;
      delete doc[from];
      doc[to] = value;
      changed = true;
    }
    for (const [name, value] of edits.replace) {
      if (!present(doc[name]) || value === undefined) continue;
      doc[name] = value;
      changed = true;
    }
  }
  for (const [name, value] of edits.add) {
    if (present(doc[name]) || value === undefined) continue;
    doc[name] = value;
    changed = true;
  }
  for (const [name, value] of edits.append) {
    if (value === undefined) continue;
    doc[name] = appended(doc[name], value);
    changed = true;
  }
  return changed ? Buffer.from(JSON.stringify(doc), 'utf8') : null;
}

/** No edit at all: the body need not be read. */
export function noJsonEdits(edits: JsonEdits): boolean {
  return edits.remove.length === 0 && edits.rename.length === 0 && edits.replace.length === 0 && edits.add.length === 0 && edits.append.length === 0;
}
