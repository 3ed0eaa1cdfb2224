// hmac-auth's linear Authorization parse (workers/plugins/hmac-auth/authorization.ts) against Kong's
// pattern itself: the same four groups (or no match) on Kong's format, on values built to trip the
// greedy groups (extra quotes, repeated separators and prefixes, odd whitespace), and on seeded
// random mixes of those pieces. The crafted 16 KiB header the pattern takes seconds over is in
// access.test.ts, through the gateway.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHmacAuthorization } from '../../../../workers/plugins/hmac-auth/authorization.ts';
import { mulberry32 } from '../../../helpers/prng.ts';

/** Kong 3.x hmac-auth access.lua's pattern, as a JavaScript regex: the reference answer. */
const KONG = /\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"/;

const VALUE = Symbol('a group value');

function reference(value: string): string[] | null {
  const m = KONG.exec(value);
  return m === null ? null : [m[1]!, m[2]!, m[3]!, m[4]!];
}

function parsed(value: string): string[] | null {
  const p = parseHmacAuthorization(value);
  return p === null ? null : [p.username, p.algorithm, p.headers, p.signature];
}

describe('hmac-auth Authorization parse', () => {
  test("Kong's groups on chosen values", () => {
    const values = [
      'hmac username="alice", algorithm="hmac-sha256", headers="date @request-target", signature="c2lnbmF0dXJl"',
      'Hmac username="a",algorithm="b",headers="c",signature="d"',
      '  \t hmac  username="a",\t algorithm="b",\u00a0headers="c",  signature="d"  trailing',
      'hmac username="a", algorithm="b", headers="c", signature="d", signature="e"',
      'hmac username="u", algorithm="x", algorithm="y", headers="h", signature="s"',
      'hmac username="u", algorithm="a", headers="h1", headers="h2", signature="s1", signature="s2"',
      'xhmac username="first", hmac username="second", algorithm="a", headers="h", signature="s"',
      'hmac username="", algorithm="a", headers="h", signature="s"',
      'hmac username="u", algorithm="a", headers="h", signature=""',
      'hmac username="u", algorithm="a", headers="h", signature="s',
      'hmac username="u",algorithm="",headers="",signature="s"',
      'hmacusername="u",algorithm="a",headers="h",signature="s"',
      'mac username="u", algorithm="a", headers="h", signature="s"',
      'hmac username="u"", algorithm=""a", headers="h""", signature="s""',
      'hmac username="u", algorithm="a", headers="h", signatures="s"',
      'basic dXNlcjpwYXNz',
      '',
    ];
    for (const value of values) assert.deepEqual(parsed(value), reference(value), JSON.stringify(value));
    assert.deepEqual(parsed(values[0]!), ['alice', 'hmac-sha256', 'date @request-target', 'c2lnbmF0dXJl'], 'the usual header');
  });

  test('the same answer as the pattern on 200,000 seeded random values', () => {
    const random = mulberry32(16);
    const pick = (n: number): number => Math.floor(random() * n);
    const noise = ['hmac', 'Hmac', 'H', 'mac', ' ', '\t', '\u00a0', '"', ',', '",', '", ', '=', 'a', 'username="', 'algorithm="', 'headers="', 'signature="', '",algorithm="', '",signature="'];
    // Kong's format with group values (VALUE) drawn from the noise, pieces sometimes dropped, and noise elsewhere now and then.
    const skeleton: (string | typeof VALUE)[] = [' ', 'hmac', ' ', 'username="', VALUE, '",', ' ', 'algorithm="', VALUE, '",', 'headers="', VALUE, '",', ' ', 'signature="', VALUE, '"'];
    let matched = 0;
    for (let i = 0; i < 200_000; i++) {
      let value = '';
      const filler = (): void => {
        for (let n = pick(4); n > 0; n--) value += noise[pick(noise.length)];
      };
      if (pick(2) === 0) filler();
      for (const piece of skeleton) {
        if (piece === VALUE) {
          if (pick(4) !== 0) value += 'v';
          filler();
        } else {
          if (pick(16) !== 0) value += piece;
          if (pick(8) === 0) filler();
        }
      }
      const expected = reference(value);
      if (expected !== null) matched++;
      assert.deepEqual(parsed(value), expected, JSON.stringify(value));
    }
    assert.ok(matched > 20_000, `enough values match for the comparison to mean something (${matched})`);
  });

  test('a value with a line terminator is refused (header values never carry one)', () => {
    assert.equal(parseHmacAuthorization('hmac username="a",\n algorithm="b", headers="c", signature="d"'), null);
  });
});
