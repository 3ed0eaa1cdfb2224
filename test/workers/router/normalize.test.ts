import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath } from '../../../workers/router/normalize.ts';

const CASES: [string, string][] = [
  // already normal: returned as is
  ['/', '/'],
  ['/api/v1/users', '/api/v1/users'],
  ['/a/', '/a/'],
  ['/.well-known/x', '/.well-known/x'],
  ['/a/.b/...', '/a/.b/...'],
  // unreserved characters are decoded
  ['/%41%62%7e%2D%5f%2E%30', '/Ab~-_.0'],
  ['/%7euser', '/~user'],
  // reserved and other characters stay encoded, hex upper-cased
  ['/a%2Fb', '/a%2Fb'],
  ['/a%2fb', '/a%2Fb'],
  ['/q%3fx%23y', '/q%3Fx%23y'],
  ['/%2541', '/%2541'],
  ['/sp%20ace/%c3%a9', '/sp%20ace/%C3%A9'],
  // dot segments removed (RFC 3986 5.2.4)
  ['/a/../b', '/b'],
  ['/a/./b', '/a/b'],
  ['/a/b/..', '/a/'],
  ['/a/b/.', '/a/b/'],
  ['/..', '/'],
  ['/../a', '/a'],
  ['/a/b/c/../../d', '/a/d'],
  // dot segments are found after decoding; an encoded slash is not a segment boundary
  ['/a/%2e%2e/b', '/b'],
  ['/a/%2E/b', '/a/b'],
  ['/a%2F..%2Fb', '/a%2F..%2Fb'],
  // repeated slashes merged, while dots are removed as Kong does
  ['//a///b', '/a/b'],
  ['/a//', '/a/'],
  ['//', '/'],
  ['/a//../b', '/b'],
];

describe('normalizePath', () => {
  for (const [input, expected] of CASES) {
    it(`${input} → ${expected}`, () => {
      assert.equal(normalizePath(input), expected);
    });
  }

  it('is idempotent', () => {
    for (const [input] of CASES) {
      const once = normalizePath(input)!;
      assert.equal(normalizePath(once), once);
    }
  });

  it('reports malformed paths as null', () => {
    for (const bad of ['', 'a/b', '*', '/%', '/%4', '/a%', '/%zz', '/%4g', '/ok/%g1']) {
      assert.equal(normalizePath(bad), null, bad);
    }
  });
});
