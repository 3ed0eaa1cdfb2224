// The fallback companions of hash_on that the other tests leave out: a query argument and a uri
// capture used only when hash_on gives nothing (Kong's hash_fallback_query_arg / _uri_capture).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { valueToHash } from '../../../workers/balancer/hash-value.ts';
import { context, upstream } from './fixtures.ts';

test('hash_fallback_query_arg: the argument hashes when the header is absent', () => {
  const u = upstream({ hash_on: 'header', hash_on_header: 'x-user', hash_fallback: 'query_arg', hash_fallback_query_arg: 'tenant' });
  assert.equal(valueToHash(u, context({ url: '/p?tenant=t1' })), 't1');
  assert.equal(valueToHash(u, context({ url: '/p?tenant=t1', headers: { 'x-user': 'u1' } })), 'u1');
});

test('hash_fallback_uri_capture: the capture hashes when the header is absent', () => {
  const u = upstream({ hash_on: 'header', hash_on_header: 'x-user', hash_fallback: 'uri_capture', hash_fallback_uri_capture: 'org' });
  const ctx = context({ captures: { named: { org: 'o7' }, unnamed: ['/o7', 'o7'] } });
  assert.equal(valueToHash(u, ctx), 'o7');
});
