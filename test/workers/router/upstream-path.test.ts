// Upstream path join. The table holds the expected values of Kong's spec/fixtures/router_path_handling_tests.lua
// (rows where a column lists both values stand for one case per value).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRouter } from '../../../workers/router/router.ts';
import { sanitizePostfix } from '../../../workers/router/upstream-path.ts';
import { route, service } from './fixtures.ts';

type Both<T> = T | 'both';
// service path, route path (null: the route matches on host), strip_path, path_handling, request, expected
type Row = [string, string | null, Both<boolean>, Both<'v0' | 'v1'>, string, string];

const ROWS: Row[] = [
  ['/', '/', 'both', 'both', '/', '/'],
  ['/', '/', 'both', 'both', '/route', '/route'],
  ['/', '/', 'both', 'both', '/route/', '/route/'],
  ['/', '/', 'both', 'both', '/routereq', '/routereq'],
  ['/', '/', 'both', 'both', '/route/req', '/route/req'],
  ['/', '/route', false, 'both', '/route', '/route'],
  ['/', '/route', false, 'both', '/route/', '/route/'],
  ['/', '/route', false, 'both', '/routereq', '/routereq'],
  ['/', '/route', true, 'both', '/route', '/'],
  ['/', '/route', true, 'both', '/route/', '/'],
  ['/', '/route', true, 'both', '/routereq', '/req'],
  ['/', '/route/', false, 'both', '/route/', '/route/'],
  ['/', '/route/', false, 'both', '/route/req', '/route/req'],
  ['/', '/route/', true, 'both', '/route/', '/'],
  ['/', '/route/', true, 'both', '/route/req', '/req'],
  ['/srv', '/rou', false, 'v0', '/roureq', '/srv/roureq'],
  ['/srv', '/rou', false, 'v1', '/roureq', '/srvroureq'],
  ['/srv', '/rou', true, 'v0', '/roureq', '/srv/req'],
  ['/srv', '/rou', true, 'v1', '/roureq', '/srvreq'],
  ['/srv/', '/rou', false, 'both', '/rou', '/srv/rou'],
  ['/srv/', '/rou', true, 'v0', '/rou', '/srv'],
  ['/srv/', '/rou', true, 'v1', '/rou', '/srv/'],
  ['/service', '/', 'both', 'both', '/', '/service'],
  ['/service', '/', 'both', 'v0', '/route', '/service/route'],
  ['/service', '/', 'both', 'v1', '/route', '/serviceroute'],
  ['/service', '/', 'both', 'v0', '/route/', '/service/route/'],
  ['/service', '/', 'both', 'v1', '/route/', '/serviceroute/'],
  ['/service', '/', 'both', 'v0', '/routereq', '/service/routereq'],
  ['/service', '/', 'both', 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/', 'both', 'v0', '/route/req', '/service/route/req'],
  ['/service', '/', 'both', 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route', false, 'v0', '/route', '/service/route'],
  ['/service', '/route', false, 'v1', '/route', '/serviceroute'],
  ['/service', '/route', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route', false, 'v0', '/routereq', '/service/routereq'],
  ['/service', '/route', false, 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/route', true, 'both', '/route', '/service'],
  ['/service', '/route', true, 'both', '/route/', '/service/'],
  ['/service', '/route', true, 'v0', '/routereq', '/service/req'],
  ['/service', '/route', true, 'v1', '/routereq', '/servicereq'],
  ['/service', '/route/', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route/', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route/', false, 'v0', '/route/req', '/service/route/req'],
  ['/service', '/route/', false, 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route/', true, 'v0', '/route/', '/service/'],
  ['/service', '/route/', true, 'v1', '/route/', '/service'],
  ['/service', '/route/', true, 'v0', '/route/req', '/service/req'],
  ['/service', '/route/', true, 'v1', '/route/req', '/servicereq'],
  ['/service/', '/', 'both', 'both', '/route/', '/service/route/'],
  ['/service/', '/', 'both', 'both', '/', '/service/'],
  ['/service/', '/', 'both', 'both', '/route', '/service/route'],
  ['/service/', '/', 'both', 'both', '/routereq', '/service/routereq'],
  ['/service/', '/', 'both', 'both', '/route/req', '/service/route/req'],
  ['/service/', '/route', false, 'both', '/route', '/service/route'],
  ['/service/', '/route', false, 'both', '/route/', '/service/route/'],
  ['/service/', '/route', false, 'both', '/routereq', '/service/routereq'],
  ['/service/', '/route', true, 'v0', '/route', '/service'],
  ['/service/', '/route', true, 'v1', '/route', '/service/'],
  ['/service/', '/route', true, 'both', '/route/', '/service/'],
  ['/service/', '/route', true, 'both', '/routereq', '/service/req'],
  ['/service/', '/route/', false, 'both', '/route/', '/service/route/'],
  ['/service/', '/route/', false, 'both', '/route/req', '/service/route/req'],
  ['/service/', '/route/', true, 'both', '/route/', '/service/'],
  ['/service/', '/route/', true, 'both', '/route/req', '/service/req'],
  ['/', null, 'both', 'both', '/', '/'],
  ['/', null, 'both', 'both', '/route', '/route'],
  ['/', null, 'both', 'both', '/route/', '/route/'],
  ['/service', null, 'both', 'both', '/', '/service'],
  ['/service', null, 'both', 'v0', '/route', '/service/route'],
  ['/service', null, 'both', 'v1', '/route', '/serviceroute'],
  ['/service', null, 'both', 'v0', '/route/', '/service/route/'],
  ['/service', null, 'both', 'v1', '/route/', '/serviceroute/'],
  ['/service/', null, 'both', 'both', '/', '/service/'],
  ['/service/', null, 'both', 'both', '/route', '/service/route'],
  ['/service/', null, 'both', 'both', '/route/', '/service/route/'],
];

function expand<const T>(value: Both<T>, both: readonly [T, T]): readonly T[] {
  return value === 'both' ? both : [value];
}

describe('upstreamPath (Kong path handling fixtures)', () => {
  for (const [servicePath, routePath, strips, handlings, request, expected] of ROWS) {
    for (const strip_path of expand(strips, [false, true])) {
      for (const path_handling of expand(handlings, ['v0', 'v1'])) {
        const name = `service ${servicePath}, route ${routePath ?? '(host)'}, strip ${strip_path}, ${path_handling}: ${request} → ${expected}`;
        it(name, () => {
          const r = route({
            id: 'r', strip_path, path_handling,
            paths: routePath === null ? null : [routePath],
            hosts: routePath === null ? ['example.com'] : null,
          });
          const router = buildRouter([r], { svc: service({ id: 'svc', path: servicePath }) });
          assert.equal(router.match('GET', 'example.com', request, {})?.upstreamPath, expected);
        });
      }
    }
  }
});

describe('upstreamPath details', () => {
  it('treats a null service.path as /', () => {
    const router = buildRouter([route({ id: 'r', paths: ['/api'] })], { svc: service({ id: 'svc', path: null }) });
    assert.equal(router.match('GET', 'h', '/api/x', {})?.upstreamPath, '/x');
  });

  it('strips the whole regex match and reports it as the prefix', () => {
    const router = buildRouter([route({ id: 'r', paths: ['~/v\\d+/users'] })], { svc: service({ id: 'svc', path: '/base' }) });
    const match = router.match('GET', 'h', '/v12/users/7', {});
    assert.equal(match?.prefix, '/v12/users');
    assert.equal(match?.upstreamPath, '/base/7');
  });

  it('reports no prefix when strip_path is off', () => {
    const router = buildRouter([route({ id: 'r', paths: ['/api'], strip_path: false })], { svc: service({ id: 'svc' }) });
    assert.equal(router.match('GET', 'h', '/api/x', {})?.prefix, null);
  });

  it('forwards the normalized path', () => {
    const router = buildRouter([route({ id: 'r', paths: ['/api'], strip_path: false })], { svc: service({ id: 'svc', path: '/up' }) });
    assert.equal(router.match('GET', 'h', '/x/../api//%7Ea%2fb', {})?.upstreamPath, '/up/api/~a%2Fb');
  });

  it('sanitizes a leading dot segment left after the prefix, as Kong does', () => {
    assert.equal(sanitizePostfix('.'), '');
    assert.equal(sanitizePostfix('..'), '');
    assert.equal(sanitizePostfix('./x'), 'x');
    assert.equal(sanitizePostfix('../x'), 'x');
    assert.equal(sanitizePostfix('.x'), '.x');
    const router = buildRouter([route({ id: 'r', paths: ['/foo'] })], { svc: service({ id: 'svc', path: '/s' }) });
    assert.equal(router.match('GET', 'h', '/foo../x', {})?.upstreamPath, '/s/x');
  });
});
