// Runs on the test thread: the spliced JSON body edits (workers/transform/json-body.ts) and their
// scanner (json-scan.ts) against the parse/modify/stringify implementation they replaced
// (test/helpers/json-edit-by-parse.ts, the oracle); and every body JSON.parse refuses left as it is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { editJson, type JsonEdits } from '../../../workers/transform/json-body.ts';
import { scanObject } from '../../../workers/transform/json-scan.ts';
import { editJsonByParse as oracle } from '../../helpers/json-edit-by-parse.ts';
import { mulberry32 } from '../../helpers/prng.ts';

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};
const isObjectText = (text: string): boolean => {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
};

// Keys that matter: `__proto__`, integer-like ones (JS orders them first in an object, which is
// why results are compared as parsed objects, not as key sequences), ones that need escapes,
// a lone surrogate, the empty key, and a few plain ones so edits hit often.
const KEYS = ['a', 'b', 'old', 'new', 'list', '__proto__', '0', '7', '10', '01', '-1', '1.5', '', 'é', 'ключ', '😀', 'a"b', 'back\\slash', 'tab\t', '\u2028', '\ud800', 'constructor', 'toString'];
const keyArb = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 4, unit: 'binary' }));

/** A JSON value, with raw number spellings the formatter writes as they are. */
type Raw = { readonly raw: string };
const rawNumber = fc.constantFrom<Raw>({ raw: '12345678901234567890' }, { raw: '-0' }, { raw: '1.0' }, { raw: '1e2' }, { raw: '1E+2' }, { raw: '2.50e-3' }, { raw: '0.1' }, { raw: '-9007199254740993' });
const { tree } = fc.letrec<{ tree: unknown; leaf: unknown }>((tie) => ({
  leaf: fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', 'x', '\u0000\u001f"\\/\b\f\n\r\t', '\ud83d', '\udc00x'), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null), rawNumber),
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), fc.array(tie('tree'), { maxLength: 4 }), fc.array(fc.tuple(keyArb, tie('tree')), { maxLength: 4 })),
}));
// Arrays of [key, value] tuples above stand for objects (so keys may repeat); plain arrays for arrays.
const isMembers = (v: unknown): v is [string, unknown][] => Array.isArray(v) && v.length > 0 && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && (e as unknown[]).length === 2);

/** Formatting choices drawn from a seed: whitespace, escapes, number spellings. */
class Formatter {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  ws(): string {
    const r = this.#next();
    return r < 0.6 ? '' : r < 0.75 ? ' ' : r < 0.85 ? '\n  ' : r < 0.95 ? '\t' : ' \r\n ';
  }
  string(s: string): string {
    let out = '"';
    for (const unit of s) {
      const code = unit.codePointAt(0)!;
      const r = this.#next();
      // An astral character raw, or as an escaped surrogate pair (hex in either case).
      if (code > 0xffff) out += r < 0.5 ? unit : `\\u${unit.charCodeAt(0).toString(16)}\\u${unit.charCodeAt(1).toString(16).toUpperCase()}`;
      else if (code === 0x2f && r < 0.5) out += '\\/';
      else if (r < 0.2 || (code >= 0xd800 && code <= 0xdfff)) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else out += JSON.stringify(unit).slice(1, -1);
    }
    return `${out}"`;
  }
  value(v: unknown): string {
    if (v !== null && typeof v === 'object' && 'raw' in v) return (v as Raw).raw;
    if (typeof v === 'string') return this.string(v);
    if (typeof v === 'number') return Number.isInteger(v) && this.#next() < 0.3 ? `${v}.0`.replace('e+', 'e').replace(/e(\d+)\.0$/, 'e$1') : JSON.stringify(v);
    if (isMembers(v)) return this.object(v);
    if (Array.isArray(v)) return `[${this.ws()}${v.map((e) => this.value(e)).join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
    return JSON.stringify(v);
  }
  object(members: readonly (readonly [string, unknown])[]): string {
    if (members.length === 0) return `{${this.ws()}}`;
    return `{${this.ws()}${members.map(([k, v]) => `${this.string(k)}${this.ws()}:${this.ws()}${this.value(v)}`).join(`${this.ws()},${this.ws()}`)}${this.ws()}}`;
  }
}

const editValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(false), fc.constant(null), fc.constant(undefined), fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 2 }));
const pairs = <T>(value: fc.Arbitrary<T>) => fc.array(fc.tuple(keyArb, value), { maxLength: 3 });
const editsArb: fc.Arbitrary<JsonEdits> = fc.record({
  mode: fc.constantFrom('request' as const, 'response' as const),
  remove: fc.array(keyArb, { maxLength: 3 }),
  rename: pairs(keyArb),
  replace: pairs(editValue),
  add: pairs(editValue),
  append: pairs(editValue),
});

test('splice edits parse to what parse/modify/stringify gave, for random objects and edit lists', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(keyArb, tree), { maxLength: 8 }), fc.integer(), editsArb, fc.boolean(), (members, seed, edits, empty) => {
      const text = empty ? '' : new Formatter(seed).object(members);
      assert.ok(empty || isObjectText(text), 'the generator writes valid JSON objects');
      const body = Buffer.from(text);
      const got = editJson(body, edits);
      const want = oracle(body, structuredClone(edits));
      assert.equal(body.toString(), text, 'the input is not written to');
      if (want === null) {
        assert.equal(got, null, 'no edit where the old path made none');
        return;
      }
      // Compared as parsed values, so key order does not count: JS puts integer-like keys first
      // in an object, which the old output was written from, while a splice keeps body order.
      // Stringified once more because a kept `-0` reads back as -0 where the old output said 0.
      const edited = JSON.parse(got === null ? text : got.toString()) as unknown;
      assert.deepEqual(JSON.parse(JSON.stringify(edited)), JSON.parse(want.toString()));
    }),
    { numRuns: 3000 },
  );
});

test('a scan accepts exactly what JSON.parse accepts as an object: mutated valid bodies', () => {
  // Bytes that make or break JSON, inserted, replaced and deleted at random in valid bodies.
  const bytes = [0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x20, 0x0a, 0x00, 0x1f, 0x7f, 0x2d, 0x2b, 0x2e, 0x30, 0x31, 0x65, 0x45, 0x75, 0x61, 0x66, 0x6e, 0x74, 0xc3, 0xa9, 0xef, 0xbb, 0xbf, 0xff, 0x2f, 0x62];
  const mutation = fc.tuple(fc.constantFrom('insert', 'replace', 'delete', 'truncate'), fc.nat(), fc.constantFrom(...bytes));
  fc.assert(
    fc.property(fc.array(fc.tuple(keyArb, tree), { maxLength: 5 }), fc.integer(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (members, seed, mutations) => {
      const b = [...Buffer.from(new Formatter(seed).object(members))];
      for (const [how, at, byte] of mutations) {
        const i = at % (b.length + 1);
        if (how === 'insert') b.splice(i, 0, byte);
        else if (how === 'replace') b.splice(i, 1, byte);
        else if (how === 'delete') b.splice(i, 1);
        else b.length = Math.min(b.length, i);
      }
      const body = Buffer.from(b);
      const text = body.toString('utf8');
      assert.equal(scanObject(body) !== null, isObjectText(text), JSON.stringify(text));
      if (!parses(text)) assert.equal(editJson(body, { mode: 'response', remove: ['a'], rename: [], replace: [], add: [['z', 1]], append: [] }), null);
    }),
    { numRuns: 5000 },
  );
});

test('every body JSON.parse refuses is left as it is, in both modes', () => {
  const deep = 100_000;
  const malformed = [
    '{', '{"a"', '{"a":', '{"a":1', '{"a":1,', '{"a":1,}', '{,"a":1}', '{"a":1,,"b":2}', '{"a" 1}', '{"a"::1}', '{a:1}', "{'a':1}",
    '{"a":1}x', '{"a":1}{}', '{"a":1} ,', '{"a":[1,]}', '{"a":[,1]}', '{"a":[1 2]}', '{"a":{"b"}}', '{"a":{"b":1,}}',
    '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":"\\u12G4"}', '{"a":"\\\'"}', '{"a\\q":1}', '{"a":"tab\there"}', '{"a":"nl\nhere"}', '{"a":"\u0000"}', '{"k\u001f":1}',
    '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":+1}', '{"a":-}', '{"a":1e}', '{"a":1e+}', '{"a":0x10}', '{"a":NaN}', '{"a":Infinity}', '{"a":tru}', '{"a":nul}', '{"a":falsey}', '{"a":True}',
    '{"a":"unterminated}', '\ufeff{"a":1}', '{"a":1}\u00a0', '\u000b{"a":1}', '{"a":1}\f',
    `{"a":${'['.repeat(deep)}${']'.repeat(deep - 1)}}`, `{"a":${'{"b":'.repeat(deep)}1${'}'.repeat(deep)}`, `{"a":${'['.repeat(deep)}`,
  ];
  const edits = (mode: 'request' | 'response'): JsonEdits => ({ mode, remove: ['a'], rename: [['a', 'b']], replace: [['a', 2]], add: [['c', 3]], append: [['d', 4]] });
  for (const text of malformed) {
    assert.equal(parses(text), false, `JSON.parse refuses ${JSON.stringify(text.slice(0, 40))}`);
    const body = Buffer.from(text);
    assert.equal(editJson(body, edits('request')), null, JSON.stringify(text.slice(0, 40)));
    assert.equal(editJson(body, edits('response')), null, JSON.stringify(text.slice(0, 40)));
  }
  // Valid JSON that is not an object is left as well; so is an empty answer (response mode).
  for (const text of ['[1,2]', '"str"', '1', 'null', 'true', ' [] ']) assert.equal(editJson(Buffer.from(text), edits('request')), null, text);
  assert.equal(editJson(Buffer.alloc(0), edits('response')), null);
});

test('deep nesting JSON.parse accepts is edited, without recursion', () => {
  const deep = 200_000;
  const text = `{"secret":1, "a":${'['.repeat(deep)}${']'.repeat(deep)} ,"b":{"c":${'{"d":'.repeat(deep)}null${'}'.repeat(deep)}}}`;
  assert.ok(parses(text));
  const out = editJson(Buffer.from(text), { mode: 'request', remove: ['secret'], rename: [], replace: [], add: [], append: [['a', 'x']] });
  assert.equal(out!.toString(), `{"a":${'['.repeat(deep)}${']'.repeat(deep - 1)},"x"] ,"b":{"c":${'{"d":'.repeat(deep)}null${'}'.repeat(deep)}}}`);
});

test('bytes that are not edited are kept: whitespace, number spellings, escapes, duplicates', () => {
  const text = '{\n  "big": 12345678901234567890,\n  "n": 1.50e3,\n  "s": "caf\\u00e9 \\/",\n  "d": 1,\n  "d": 2,\n  "gone": true\n}\n';
  const out = editJson(Buffer.from(text), { mode: 'response', remove: ['gone'], rename: [], replace: [], add: [['added', 'x']], append: [] });
  assert.equal(out!.toString(), '{\n  "big": 12345678901234567890,\n  "n": 1.50e3,\n  "s": "caf\\u00e9 \\/",\n  "d": 1,\n  "d": 2,\n  "added": "x"\n}\n');
});

test('duplicate keys read as JSON.parse reads them: the last counts, a removed key loses every occurrence', () => {
  const edit = (text: string, edits: Partial<JsonEdits>): string | undefined => editJson(Buffer.from(text), { mode: 'request', remove: [], rename: [], replace: [], add: [], append: [], ...edits })?.toString();
  // The last value is false: not there for add, so add sets it (in place).
  assert.equal(edit('{"a":1,"a":false}', { add: [['a', 'x']] }), '{"a":1,"a":"x"}');
  // The last value is there: add leaves it, replace sets it.
  assert.equal(edit('{"a":false,"a":1}', { add: [['a', 'x']] }), undefined);
  assert.equal(edit('{"a":false,"a":1}', { replace: [['a', 'x']] }), '{"a":false,"a":"x"}');
  assert.equal(edit('{"a":1,"b":2,"a":3}', { remove: ['a'] }), '{"b":2}');
  assert.equal(edit('{"a":1,"b":2,"a":3}', { rename: [['a', 'c']] }), '{"b":2,"c":3}');
  assert.equal(edit('{"a":"s","a":[]}', { append: [['a', 1]] }), '{"a":"s","a":[1]}');
});

test('appends splice into arrays before their `]`, keeping separators valid everywhere', () => {
  const edit = (text: string, edits: Partial<JsonEdits>): string | undefined => editJson(Buffer.from(text), { mode: 'request', remove: [], rename: [], replace: [], add: [], append: [], ...edits })?.toString();
  assert.equal(edit('{"l":[ ]}', { append: [['l', 1]] }), '{"l":[ 1]}');
  assert.equal(edit('{"l":[1 ] }', { append: [['l', 2], ['l', 3]] }), '{"l":[1 ,2,3] }');
  assert.equal(edit('{"s":"a"}', { append: [['s', 'b'], ['s', 'c']] }), '{"s":["a","b","c"]}');
  assert.equal(edit('{"n":{"x":1}}', { append: [['n', 'b']] }), '{"n":["b"]}');
  assert.equal(edit('{ "a" : 1 , "b" : 2 , "c" : 3 }', { remove: ['a'] }), '{ "b" : 2 , "c" : 3 }');
  assert.equal(edit('{ "a" : 1 , "b" : 2 , "c" : 3 }', { remove: ['b'] }), '{ "a" : 1 , "c" : 3 }');
  assert.equal(edit('{ "a" : 1 , "b" : 2 , "c" : 3 }', { remove: ['c'] }), '{ "a" : 1 , "b" : 2 }');
  assert.equal(edit('{ "a" : 1 }', { remove: ['a'] }), '{  }');
  assert.equal(edit('{ "a" : 1 }', { remove: ['a'], add: [['b', 2]] }), '{ "b" : 2 }');
  assert.equal(edit('{\n}', { add: [['b', 2]] }), '{\n"b":2}');
  assert.equal(edit('', { add: [['b', 2]], remove: ['b'] }), '{"b":2}');
  assert.equal(edit('{"a":1,"b":2}', { rename: [['a', 'b']] }), '{"b":1}');
  assert.equal(edit('{"__proto__":{"x":1}}', { add: [['y', 1]] }), '{"__proto__":{"x":1},"y":1}');
});
