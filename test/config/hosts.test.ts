import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRouteHost, isServiceHost, parseTarget } from '../../config/hosts.ts';

test('service hosts: names, IPv4, IPv6 (bare or bracketed); no ports, spaces or bad labels', () => {
  for (const h of ['a.example.com', 'localhost', 'my_svc.internal', '10.0.0.1', '::1', '[::1]', 'example.com.']) assert.ok(isServiceHost(h), h);
  for (const h of ['a b', '-a.com', 'a-.com', 'a..b', '300.1.1.1', 'a.com:80', '', 'x'.repeat(64) + '.com']) assert.ok(!isServiceHost(h), h);
});

test('route hosts: one wildcard, leftmost or rightmost; optional port', () => {
  for (const h of ['*.example.com', 'example.*', 'a.example.com:8080', '10.0.0.1']) assert.equal(checkRouteHost(h), null, h);
  for (const h of ['*.*.example.com', 'a.*.com', 'a b.com', 'a.com:99999']) assert.notEqual(checkRouteHost(h), null, h);
});

test('targets normalise to host:port with Kong\'s default port 8000', () => {
  const t = (s: string): string | null => {
    const r = parseTarget(s);
    return r.ok ? r.target : null;
  };
  assert.equal(t('backend'), 'backend:8000');
  assert.equal(t('10.0.0.1:80'), '10.0.0.1:80');
  assert.equal(t('::1'), '[::1]:8000');
  assert.equal(t('[::1]:81'), '[::1]:81');
  assert.equal(t('10.0.0.1:65536'), null);
  assert.equal(t('a b:80'), null);
  assert.equal(t('[nope]:80'), null);
  assert.equal(t('host:'), null);
});
