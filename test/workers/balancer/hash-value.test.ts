import assert from 'node:assert/strict';
import { test } from 'node:test';
import { valueToHash } from '../../../workers/balancer/hash-value.ts';
import { context, upstream } from './fixtures.ts';

test('hash_on none hashes nothing (every request the same point)', () => {
  assert.equal(valueToHash(upstream({ hash_on: 'none' }), context({ clientIp: '10.1.1.1' })), '');
});

test('hash_on ip, header, path, consumer (else the credential)', () => {
  assert.equal(valueToHash(upstream({ hash_on: 'ip' }), context({ clientIp: '10.1.1.1' })), '10.1.1.1');
  assert.equal(valueToHash(upstream({ hash_on: 'header', hash_on_header: 'X-Tenant' }), context({ headers: { 'x-tenant': 'acme' } })), 'acme');
  assert.equal(valueToHash(upstream({ hash_on: 'path' }), context({ url: '/a/b?x=1', path: '/a/b' })), '/a/b');
  assert.equal(valueToHash(upstream({ hash_on: 'consumer' }), context({ consumerId: 'c-1', credentialId: 'k-1' })), 'c-1');
  assert.equal(valueToHash(upstream({ hash_on: 'consumer' }), context({ credentialId: 'k-1' })), 'k-1');
});

test('hash_on query_arg: a repeated argument sorted and joined, a bare one is "true"', () => {
  const u = upstream({ hash_on: 'query_arg', hash_on_query_arg: 'k' });
  assert.equal(valueToHash(u, context({ url: '/p?k=b&z=1&k=a' })), 'a,b');
  assert.equal(valueToHash(u, context({ url: '/p?k' })), 'true');
  assert.equal(valueToHash(u, context({ url: '/p?k=x%20y' })), 'x y');
  assert.equal(valueToHash(u, context({ url: '/p?other=1' })), '');
});

test('hash_on uri_capture: a named or numbered group of the matched route path', () => {
  const ctx = context({ captures: { named: { tenant: 't9' }, unnamed: ['/t9/x', 't9'] } });
  assert.equal(valueToHash(upstream({ hash_on: 'uri_capture', hash_on_uri_capture: 'tenant' }), ctx), 't9');
  assert.equal(valueToHash(upstream({ hash_on: 'uri_capture', hash_on_uri_capture: '1' }), ctx), 't9');
  assert.equal(valueToHash(upstream({ hash_on: 'uri_capture', hash_on_uri_capture: 'nope' }), ctx), '');
});

test('hash_fallback is used when hash_on gives nothing', () => {
  const u = upstream({ hash_on: 'header', hash_on_header: 'x-user', hash_fallback: 'ip' });
  assert.equal(valueToHash(u, context({ clientIp: '10.2.2.2' })), '10.2.2.2');
  assert.equal(valueToHash(u, context({ clientIp: '10.2.2.2', headers: { 'x-user': 'u1' } })), 'u1');
  const h = upstream({ hash_on: 'header', hash_on_header: 'x-a', hash_fallback: 'header', hash_fallback_header: 'x-b' });
  assert.equal(valueToHash(h, context({ headers: { 'x-b': 'bee' } })), 'bee');
});

test('hash_on cookie: the cookie is read; when absent one is made up and set as Kong sets it', () => {
  const u = upstream({ hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' });
  const seen = context({ headers: { cookie: 'a=1; sticky=abc; b=2' } });
  assert.equal(valueToHash(u, seen), 'abc');
  assert.equal(seen.responseHeaders, null, 'no cookie set when the client sent one');
  const fresh = context();
  const value = valueToHash(u, fresh);
  assert.match(value, /^[0-9a-f-]{36}$/);
  assert.equal(fresh.responseHeaders!['set-cookie'], `sticky=${value}; Path=/app; Same-Site=Lax; HttpOnly`);
});
