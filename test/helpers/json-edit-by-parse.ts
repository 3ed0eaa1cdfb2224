// Runs on the test thread and in bench/transform-offload.ts: workers/transform/json-body.ts's
// editJson as it was before it spliced bytes — JSON.parse, Kong's edits on a prototype-less copy,
// JSON.stringify. The oracle of test/workers/transform/json-body.test.ts (same edits, same result
// once parsed) and the old side of the bench's CPU and allocation comparison; one copy for both.
import type { JsonEdits } from '../../workers/transform/json-body.ts';

type JsonObject = Record<string, unknown>;

/** The implementation before splicing (JSON.parse, edit a prototype-less copy, JSON.stringify). */
export function editJsonByParse(body: Uint8Array, edits: JsonEdits): Buffer | null {
  const present = (v: unknown): boolean => v !== undefined && v !== false;
  const appended = (current: unknown, value: unknown): unknown[] => {
    if (typeof current === 'string') return [current, value];
    if (Array.isArray(current)) {
      current.push(value);
      return current;
    }
    return [value];
  };
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const hasBody = bytes.length > 0;
  let doc: JsonObject;
  if (hasBody) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    doc = Object.assign(Object.create(null) as JsonObject, parsed);
    if (Object.hasOwn(parsed, '__proto__')) doc['__proto__'] = (parsed as JsonObject)['__proto__'];
  } else {
    if (edits.mode === 'response') return null;
    doc = Object.create(null) as JsonObject;
  }
  const request = edits.mode === 'request';
  let changed = !request;
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
