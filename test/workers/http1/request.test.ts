// How the listener turns the raw header list into `headers` (workers/http1/request.ts): the same
// merge rules as node:http, which plugins and the router were written against.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerObject } from '../../../workers/http1/request.ts';

test('names are lower-cased; repeats are joined with ", ", cookies with "; "', () => {
  const headers = headerObject(['Accept', 'text/html', 'ACCEPT', 'application/json', 'Cookie', 'a=1', 'cookie', 'b=2']);
  assert.equal(headers.accept, 'text/html, application/json');
  assert.equal(headers.cookie, 'a=1; b=2');
});

test('set-cookie is always a list; single-valued names keep their first value', () => {
  const headers = headerObject(['Set-Cookie', 'a=1', 'Host', 'first.example', 'host', 'second.example', 'Content-Length', '5', 'content-length', '7']);
  assert.deepEqual(headers['set-cookie'], ['a=1']);
  assert.equal(headers.host, 'first.example');
  assert.equal(headers['content-length'], '5');
});

test('header names that are Object.prototype members are plain headers', () => {
  const headers = headerObject(['Constructor', 'x', '__proto__', 'y', 'ToString', 'z']);
  assert.equal(headers.constructor, 'x');
  assert.equal((headers as Record<string, unknown>)['__proto__'], 'y');
  assert.equal(headers.tostring, 'z');
});
