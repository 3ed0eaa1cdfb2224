// scanSkeleton (config/json-skeleton.ts): on any text, either it declines (null), or the fields
// and entries it finds parse to exactly what JSON.parse of the whole text gives, and a text it
// accepts is invalid JSON only if one of those pieces fails to parse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanSkeleton } from '../../config/json-skeleton.ts';

const COLLECTIONS = new Set(['services', 'routes', 'plugins']);

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** JSON text of `value` with random JSON whitespace between tokens and escapes in strings. */
function write(value: unknown, random: () => number): string {
  const ws = (): string => [' ', '\n', '\t', '\r', '', '', ''][Math.floor(random() * 7)] as string;
  const str = (s: string): string => {
    const plain = JSON.stringify(s);
    // Now and then spell a character as \\uXXXX.
    return random() < 0.2 ? plain.replace(/[a-z]/, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : plain;
  };
  if (Array.isArray(value)) return `[${ws()}${value.map((v) => write(v, random)).join(`${ws()},${ws()}`)}${ws()}]`;
  if (value !== null && typeof value === 'object') {
    return `{${ws()}${Object.entries(value).map(([k, v]) => `${str(k)}${ws()}:${ws()}${write(v, random)}`).join(`${ws()},${ws()}`)}${ws()}}`;
  }
  return typeof value === 'string' ? str(value) : JSON.stringify(value);
}

function randomDoc(random: () => number): Record<string, unknown> {
  const tricky = ['plain', 'with "quotes"', 'back\\slash\\', 'ends with \\', '{[brackets]}', 'comma, colon: x', 'é ü ☃', ''];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const entity = (depth: number): Record<string, unknown> => {
    const e: Record<string, unknown> = { name: pick(tricky), n: Math.floor(random() * 1000) - 500, f: random() < 0.5 ? 1.5e-7 : -0.25, ok: random() < 0.5, none: null };
    if (depth < 2) e['routes'] = Array.from({ length: Math.floor(random() * 3) }, () => entity(depth + 1));
    e['tags'] = [pick(tricky), pick(tricky)];
    return e;
  };
  const doc: Record<string, unknown> = { _format_version: '3.0' };
  if (random() < 0.7) doc['services'] = Array.from({ length: Math.floor(random() * 4) }, () => entity(0));
  if (random() < 0.5) doc['plugins'] = Array.from({ length: Math.floor(random() * 3) }, () => entity(1));
  if (random() < 0.3) doc['_comment'] = pick(tricky);
  if (random() < 0.3) doc['routes'] = random() < 0.5 ? [] : null;
  return doc;
}

/** Checks the property on one text. */
function check(text: string, what: string): 'accepted' | 'declined' {
  const fields = scanSkeleton(text, COLLECTIONS);
  let whole: unknown;
  let valid = true;
  try {
    whole = JSON.parse(text);
  } catch {
    valid = false;
  }
  if (fields === null) return 'declined';
  const pieces: Record<string, unknown> = {};
  let piecesParse = true;
  for (const f of fields) {
    try {
      pieces[f.key] = f.entries !== null ? f.entries.map((e) => JSON.parse(e) as unknown) : JSON.parse(f.raw);
      if (f.entries !== null) assert.deepEqual(JSON.parse(f.raw), pieces[f.key], what);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      piecesParse = false;
    }
  }
  assert.equal(valid, piecesParse, `${what}: whole text ${valid ? 'parses' : 'fails'} but its pieces ${piecesParse ? 'parse' : 'fail'}: ${JSON.stringify(text)}`);
  if (valid) assert.deepEqual(pieces, whole, what);
  return 'accepted';
}

test('the skeleton of random documents with random whitespace and escapes parses to the document', () => {
  const random = rng(4242);
  for (let n = 0; n < 400; n++) {
    const doc = randomDoc(random);
    const text = write(doc, random);
    assert.equal(check(text, `doc ${n}`), 'accepted');
  }
});

test('a corrupted text is declined, or its pieces fail exactly when the whole text does', () => {
  const random = rng(777);
  const noise = ['"', '\\', ',', ':', '{', '}', '[', ']', ' ', 'x', '0', '\u0000', '"a":1,'];
  let accepted = 0;
  for (let n = 0; n < 3000; n++) {
    const text = write(randomDoc(random), random);
    const at = Math.floor(random() * (text.length + 1));
    const cut = random() < 0.5 ? 1 : 0;
    const corrupted = text.slice(0, at) + (noise[Math.floor(random() * noise.length)] as string) + text.slice(at + cut);
    if (check(corrupted, `corruption ${n}`) === 'accepted') accepted++;
  }
  assert.ok(accepted > 100, `only ${accepted} corrupted texts were accepted: the property was barely exercised`);
});

test('declines what it does not follow: a repeated top-level key, a non-object top level, trailing text', () => {
  assert.equal(scanSkeleton('{"services":[],"services":[{"a":1}]}', COLLECTIONS), null);
  assert.equal(scanSkeleton('[{"services":[]}]', COLLECTIONS), null);
  assert.equal(scanSkeleton('{"services":[]} x', COLLECTIONS), null);
  assert.equal(scanSkeleton('\uFEFF{"services":[]}', COLLECTIONS), null);
  assert.deepEqual(scanSkeleton(' {} ', COLLECTIONS), []);
  assert.deepEqual(scanSkeleton('{"services":[ {"a":"]"} , {"b":"\\"}"} ]}', COLLECTIONS)?.[0]?.entries, ['{"a":"]"}', '{"b":"\\"}"}']);
});
