// Matching rules of Kong's traditional_compatible router (expected behaviours from Kong's router specs).
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import type { Route } from '../../../config/types.ts';
import { LinearMatcher } from '../../../workers/router/linear.ts';
import { buildRouter } from '../../../workers/router/router.ts';
import type { RequestHeaders, RouterOptions } from '../../../workers/router/types.ts';
import { route, service, SERVICES } from './fixtures.ts';

/** Id of the route that wins, or null. */
function winner(routes: Route[], method: string, host: string, path: string, headers: RequestHeaders = {}, options?: RouterOptions): string | null {
  return buildRouter(routes, SERVICES, options).match(method, host, path, headers)?.route.id ?? null;
}

describe('hosts', () => {
  it('matches an exact host, case-insensitively, with or without a port in the Host header', () => {
    const routes = [route({ id: 'a', hosts: ['api.example.com'] })];
    assert.equal(winner(routes, 'GET', 'api.example.com', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'API.Example.COM:8000', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'other.example.com', '/'), null);
    assert.equal(winner(routes, 'GET', '', '/'), null);
  });

  it('matches a host with a port only on that port', () => {
    const routes = [route({ id: 'a', hosts: ['api.example.com:8443'] })];
    assert.equal(winner(routes, 'GET', 'api.example.com:8443', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'api.example.com:8000', '/'), null);
    assert.equal(winner(routes, 'GET', 'api.example.com', '/'), null);
    // Without a port in Host, the listener's port applies.
    assert.equal(winner(routes, 'GET', 'api.example.com', '/', {}, { listenPort: 8443 }), 'a');
  });

  it('on the TLS listener, a Host without a port means the TLS port (cached apart from plain requests)', () => {
    const routes = [route({ id: 'tls', hosts: ['api.example.com:8443'] }), route({ id: 'plain', hosts: ['api.example.com:8000'] })];
    const options = { listenPort: 8000, tlsPort: 8443 };
    for (const matcher of [buildRouter(routes, SERVICES, options), new LinearMatcher(routes, SERVICES, 8000, 8443)]) {
      // Plain first, then TLS with the same method, Host and path: the cache must not answer for both.
      assert.equal(matcher.match('GET', 'api.example.com', '/', {})?.route.id, 'plain');
      assert.equal(matcher.match('GET', 'api.example.com', '/', {}, 'api.example.com')?.route.id, 'tls');
      assert.equal(matcher.match('GET', 'api.example.com', '/', {}, '')?.route.id, 'tls');
      assert.equal(matcher.match('GET', 'api.example.com', '/', {})?.route.id, 'plain');
      // A port in Host still wins over the listener's.
      assert.equal(matcher.match('GET', 'api.example.com:8000', '/', {}, 'api.example.com')?.route.id, 'plain');
    }
  });

  it('matches a leading wildcard on any depth of subdomain, not the bare domain', () => {
    const routes = [route({ id: 'a', hosts: ['*.example.com'] })];
    assert.equal(winner(routes, 'GET', 'api.example.com', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'a.b.example.com:8000', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'example.com', '/'), null);
    assert.equal(winner(routes, 'GET', 'api.example.org', '/'), null);
  });

  it('matches a trailing wildcard', () => {
    const routes = [route({ id: 'a', hosts: ['example.*'] })];
    assert.equal(winner(routes, 'GET', 'example.org', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'example.co.uk', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'www.example.org', '/'), null);
  });

  it('matches a wildcard with a port only on that port', () => {
    const routes = [route({ id: 'a', hosts: ['*.example.com:8080'] })];
    assert.equal(winner(routes, 'GET', 'api.example.com:8080', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'api.example.com:9090', '/'), null);
  });

  it('matches wildcards not cut at a dot by plain suffix or prefix', () => {
    const routes = [route({ id: 'a', hosts: ['*example.com'] }), route({ id: 'b', hosts: ['api-*'] })];
    assert.equal(winner(routes, 'GET', 'myexample.com', '/'), 'a');
    assert.equal(winner(routes, 'GET', 'api-eu', '/'), 'b');
  });

  it('understands IPv6 literals', () => {
    const routes = [route({ id: 'a', hosts: ['[::1]:8080'] }), route({ id: 'b', hosts: ['[::1]'] })];
    assert.equal(winner(routes, 'GET', '[::1]:8080', '/'), 'a');
    assert.equal(winner(routes, 'GET', '[::1]:9', '/'), 'b');
  });

  it('reports the host entry that matched, exact entries first', () => {
    const router = buildRouter([route({ id: 'a', hosts: ['*.example.com', 'api.example.com:8000'] })], SERVICES);
    assert.equal(router.match('GET', 'api.example.com:8000', '/', {})?.hostMatched, 'api.example.com:8000');
    assert.equal(router.match('GET', 'web.example.com', '/', {})?.hostMatched, '*.example.com');
    assert.equal(buildRouter([route({ id: 'b', paths: ['/'] })], SERVICES).match('GET', 'x', '/', {})?.hostMatched, null);
  });

  it('ranks plain hosts above wildcards, whatever the path length', () => {
    const routes = [
      route({ id: 'wild', hosts: ['*.example.com'], paths: ['/very/long/prefix'] }),
      route({ id: 'plain', hosts: ['api.example.com'], paths: ['/'] }),
    ];
    assert.equal(winner(routes, 'GET', 'api.example.com', '/very/long/prefix/x'), 'plain');
    assert.equal(winner(routes, 'GET', 'web.example.com', '/very/long/prefix/x'), 'wild');
  });

  it('treats a route mixing plain and wildcard hosts as a wildcard route', () => {
    const routes = [
      route({ id: 'mixed', hosts: ['api.example.com', '*.example.org'], paths: ['/long/path'] }),
      route({ id: 'plain', hosts: ['api.example.com'], paths: ['/'] }),
    ];
    assert.equal(winner(routes, 'GET', 'api.example.com', '/long/path'), 'plain');
  });
});

describe('paths', () => {
  it('matches a plain path as a string prefix', () => {
    const routes = [route({ id: 'a', paths: ['/foo'] })];
    assert.equal(winner(routes, 'GET', 'h', '/foo'), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/foo/bar'), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/foobar'), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/fo'), null);
    assert.equal(winner(routes, 'GET', 'h', '/x/foo'), null);
  });

  it('prefers the longest prefix', () => {
    const routes = [route({ id: 'short', paths: ['/a'] }), route({ id: 'long', paths: ['/a/b/c'] }), route({ id: 'mid', paths: ['/a/b'] })];
    assert.equal(winner(routes, 'GET', 'h', '/a/b/c/d'), 'long');
    assert.equal(winner(routes, 'GET', 'h', '/a/b/x'), 'mid');
    assert.equal(winner(routes, 'GET', 'h', '/a/x'), 'short');
  });

  it('ranks each path length of one route on its own (Kong splits the route)', () => {
    const routes = [route({ id: 'split', paths: ['/a', '/abc/def'] }), route({ id: 'mid', paths: ['/abc'] })];
    assert.equal(winner(routes, 'GET', 'h', '/abc/def/x'), 'split');
    assert.equal(winner(routes, 'GET', 'h', '/abc/x'), 'mid');
    assert.equal(winner(routes, 'GET', 'h', '/ax'), 'split');
  });

  it('anchors a regex path at the start of the path, alternatives included', () => {
    const routes = [route({ id: 'a', paths: ['~/users/\\d+$'] }), route({ id: 'b', paths: ['~/x|/y'] })];
    assert.equal(winner(routes, 'GET', 'h', '/users/42'), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/users/42/posts'), null);
    assert.equal(winner(routes, 'GET', 'h', '/api/users/42'), null);
    assert.equal(winner(routes, 'GET', 'h', '/y/1'), 'b');
    assert.equal(winner(routes, 'GET', 'h', '/z/y'), null);
  });

  it('ranks a regex path above a plain prefix, even a longer one', () => {
    const routes = [route({ id: 'plain', paths: ['/users/42/profile'] }), route({ id: 'regex', paths: ['~/users/\\d+'] })];
    assert.equal(winner(routes, 'GET', 'h', '/users/42/profile'), 'regex');
  });

  it('orders regex paths by regex_priority, higher first', () => {
    const routes = [
      route({ id: 'low', paths: ['~/v\\d+/items'], regex_priority: 1 }),
      route({ id: 'high', paths: ['~/v\\d+'], regex_priority: 10 }),
    ];
    assert.equal(winner(routes, 'GET', 'h', '/v2/items'), 'high');
    const reversed = [
      route({ id: 'low', paths: ['~/v\\d+'], regex_priority: -1 }),
      route({ id: 'zero', paths: ['~/v\\d+/items'] }),
    ];
    assert.equal(winner(reversed, 'GET', 'h', '/v2/items'), 'zero');
  });

  it('ignores regex_priority on plain paths', () => {
    const routes = [route({ id: 'short', paths: ['/a'], regex_priority: 100 }), route({ id: 'long', paths: ['/a/b'] })];
    assert.equal(winner(routes, 'GET', 'h', '/a/b'), 'long');
  });

  it('breaks ties by creation order', () => {
    const routes = [route({ id: 'second', paths: ['/same'], created_at: 2 }), route({ id: 'first', paths: ['/same'], created_at: 1 })];
    assert.equal(winner(routes, 'GET', 'h', '/same'), 'first');
    const regexes = [route({ id: 'second', paths: ['~/r'], created_at: 20 }), route({ id: 'first', paths: ['~/r.*'], created_at: 10 })];
    assert.equal(winner(regexes, 'GET', 'h', '/r'), 'first');
  });

  it('matches the normalized path and reports it', () => {
    const router = buildRouter([route({ id: 'a', paths: ['/foo/b'] })], SERVICES);
    const match = router.match('GET', 'h', '/x/..//foo/%62', {});
    assert.equal(match?.route.id, 'a');
    assert.equal(match?.path, '/foo/b');
  });

  it('keeps an encoded slash encoded, so it is not a path separator', () => {
    const routes = [route({ id: 'a', paths: ['/a/b'] }), route({ id: 'enc', paths: ['/a%2Fb'] })];
    assert.equal(winner(routes, 'GET', 'h', '/a%2fb'), 'enc');
    assert.equal(winner(routes.slice(0, 1), 'GET', 'h', '/a%2Fb'), null);
  });
});

describe('regex captures', () => {
  it('exposes named and numbered captures, numbered as Kong does', () => {
    const router = buildRouter([route({ id: 'a', paths: ['~/users/(?<user>\\w+)/posts/(\\d+)'] })], SERVICES);
    const captures = router.match('GET', 'h', '/users/ann/posts/7/x', {})?.uriCaptures;
    assert.deepEqual({ ...captures?.named }, { user: 'ann' });
    assert.deepEqual(captures?.unnamed, ['/users/ann/posts/7', 'ann', '7']);
  });

  it('accepts the (?P<name>) syntax', () => {
    const router = buildRouter([route({ id: 'a', paths: ['~/v(?P<version>\\d+)'] })], SERVICES);
    assert.equal(router.match('GET', 'h', '/v3/x', {})?.uriCaptures?.named.version, '3');
  });

  it('reports a group that took no part as empty and leaves it out of named', () => {
    const router = buildRouter([route({ id: 'a', paths: ['~/a(?<opt>-x)?(/b)?'] })], SERVICES);
    const captures = router.match('GET', 'h', '/a/b', {})?.uriCaptures;
    assert.deepEqual(captures?.unnamed, ['/a/b', '', '/b']);
    assert.equal('opt' in captures!.named, false);
  });

  it('has no captures without groups or for plain paths', () => {
    const router = buildRouter([route({ id: 'a', paths: ['~/r\\d'] }), route({ id: 'b', paths: ['/p'] })], SERVICES);
    assert.equal(router.match('GET', 'h', '/r1', {})?.uriCaptures, null);
    assert.equal(router.match('GET', 'h', '/p', {})?.uriCaptures, null);
  });
});

describe('methods', () => {
  it('matches listed methods only, falling through to other routes', () => {
    const routes = [route({ id: 'get', methods: ['get', 'HEAD'], paths: ['/x'] }), route({ id: 'any', paths: ['/'] })];
    assert.equal(winner(routes, 'GET', 'h', '/x'), 'get');
    assert.equal(winner(routes, 'HEAD', 'h', '/x'), 'get');
    assert.equal(winner(routes, 'POST', 'h', '/x'), 'any');
    assert.equal(winner(routes.slice(0, 1), 'POST', 'h', '/x'), null);
  });
});

describe('headers', () => {
  it('matches any listed value, case-insensitively, and requires every header', () => {
    const routes = [route({ id: 'a', headers: { 'X-Version': ['v1', 'V2'], 'x-region': ['eu'] } })];
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-version': 'v2', 'x-region': 'EU' }), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-version': 'v3', 'x-region': 'eu' }), null);
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-version': 'v1' }), null);
  });

  it('matches any occurrence of a repeated header', () => {
    const routes = [route({ id: 'a', headers: { 'x-tag': ['blue'] } })];
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-tag': ['red', 'Blue'] }), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-tag': ['red'] }), null);
  });

  it('treats ~* values as case-insensitive, unanchored regexes', () => {
    const routes = [route({ id: 'a', headers: { 'user-agent': ['~*curl/\\d+', 'exact-agent'] } })];
    assert.equal(winner(routes, 'GET', 'h', '/', { 'user-agent': 'CURL/8.1' }), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/', { 'user-agent': 'x curl/7' }), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/', { 'user-agent': 'Exact-Agent' }), 'a');
    assert.equal(winner(routes, 'GET', 'h', '/', { 'user-agent': 'wget/1' }), null);
  });

  it('ranks more header names above fewer', () => {
    const routes = [
      route({ id: 'one', paths: ['/'], headers: { 'x-a': ['1'] } }),
      route({ id: 'two', paths: ['/'], headers: { 'x-a': ['1'], 'x-b': ['2'] } }),
    ];
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-a': '1', 'x-b': '2' }), 'two');
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-a': '1' }), 'one');
  });
});

describe('categories', () => {
  it('ranks more match categories above a longer path', () => {
    const routes = [
      route({ id: 'path', paths: ['/api/v1/users'] }),
      route({ id: 'method+path', methods: ['GET'], paths: ['/api'] }),
      route({ id: 'host+method+path', hosts: ['*.example.com'], methods: ['GET'], paths: ['/'] }),
    ];
    assert.equal(winner(routes, 'GET', 'a.example.com', '/api/v1/users'), 'host+method+path');
    assert.equal(winner(routes, 'GET', 'other.test', '/api/v1/users'), 'method+path');
    assert.equal(winner(routes, 'POST', 'other.test', '/api/v1/users'), 'path');
  });

  it('counts headers as one category, ranked with the others', () => {
    const routes = [
      route({ id: 'header', headers: { 'x-a': ['1'] } }),
      route({ id: 'host+path', hosts: ['h'], paths: ['/'] }),
      route({ id: 'host', hosts: ['h'] }),
    ];
    assert.equal(winner(routes, 'GET', 'h', '/', { 'x-a': '1' }), 'host+path');
    assert.equal(winner(routes.slice(0, 1).concat(routes.slice(2)), 'GET', 'h', '/', { 'x-a': '1' }), 'host');
  });
});

describe('route set', () => {
  it('leaves out routes of disabled services and stream-only routes', () => {
    const services = { on: service({ id: 'on' }), off: service({ id: 'off', enabled: false }) };
    const routes = [
      route({ id: 'disabled', service: { id: 'off' }, paths: ['/x/y'] }),
      route({ id: 'tcp', service: { id: 'on' }, protocols: ['tcp'], paths: ['/x/y/z'] }),
      route({ id: 'ok', service: { id: 'on' }, paths: ['/x'] }),
    ];
    const router = buildRouter(routes, services);
    assert.equal(router.routeCount, 1);
    assert.equal(router.match('GET', 'h', '/x/y/z', {})?.route.id, 'ok');
  });

  it('gives a null service to a route without one', () => {
    const router = buildRouter([route({ id: 'a', service: null, paths: ['/'] })], SERVICES);
    const match = router.match('GET', 'h', '/', {});
    assert.equal(match?.route.id, 'a');
    assert.equal(match?.service, null);
  });

  it('returns frozen matches', () => {
    const match = buildRouter([route({ id: 'a', paths: ['~/(x)'] })], SERVICES).match('GET', 'h', '/x', {});
    assert.ok(Object.isFrozen(match));
    assert.ok(Object.isFrozen(match?.uriCaptures?.unnamed));
  });

  it('rejects a regex JS cannot compile with a config error', () => {
    assert.throws(() => buildRouter([route({ id: 'a', paths: ['~/(unclosed'] })], SERVICES), { code: 'SLUICE_ERR_CONFIG_INVALID' });
    assert.throws(() => buildRouter([route({ id: 'a', headers: { 'x-a': ['~*('] } })], SERVICES), { code: 'SLUICE_ERR_CONFIG_INVALID' });
  });
});

describe('malformed paths', () => {
  it('throws SLUICE_ERR_BAD_REQUEST (400) and never caches it', () => {
    const router = buildRouter([route({ id: 'a', paths: ['/'] })], SERVICES);
    for (const bad of ['/a%zz', '/a%2', 'no-slash', '']) {
      assert.throws(() => router.match('GET', 'h', bad, {}), { code: 'SLUICE_ERR_BAD_REQUEST', status: 400 }, bad);
      assert.throws(() => router.match('GET', 'h', bad, {}), { code: 'SLUICE_ERR_BAD_REQUEST' }, bad);
    }
  });
});

describe('match cache', () => {
  it('returns the cached decision for the same method, host and path', () => {
    const router = buildRouter([route({ id: 'a', paths: ['/a'] })], SERVICES);
    assert.equal(router.cacheEnabled, true);
    const first = router.match('GET', 'h', '/a/1', {});
    assert.equal(router.match('GET', 'h', '/a/1', {}), first);
    assert.equal(router.match('GET', 'h', '/nope', {}), null);
    assert.equal(router.match('GET', 'h', '/nope', {}), null);
    assert.equal(router.cacheHits, 2);
    assert.equal(router.cacheMisses, 2);
    assert.notEqual(router.match('POST', 'h', '/a/1', {}), first);
  });

  it('is off when a route matches on headers, or when sized 0', () => {
    const headerRouter = buildRouter([route({ id: 'a', paths: ['/'] }), route({ id: 'b', headers: { 'x-a': ['1'] } })], SERVICES);
    assert.equal(headerRouter.cacheEnabled, false);
    assert.equal(headerRouter.match('GET', 'h', '/', { 'x-a': '1' })?.route.id, 'b');
    assert.equal(headerRouter.match('GET', 'h', '/', {})?.route.id, 'a');
    assert.equal(buildRouter([route({ id: 'a', paths: ['/'] })], SERVICES, { cacheSize: 0 }).cacheEnabled, false);
  });
});

test('snis: over TLS a route matches only the server names it lists, and outranks one without; plain HTTP passes the condition (Kong traditional)', () => {
  const services = { svc: service({ id: 'svc' }) };
  const routes = [
    route({ id: 'any', paths: ['/api'], created_at: 1 }),
    route({ id: 'sni', paths: ['/api'], protocols: ['https'], snis: ['a.tls.test', 'b.tls.test'], created_at: 2 }),
  ];
  for (const router of [buildRouter(routes, services), new LinearMatcher(routes, services)]) {
    assert.equal(router.match('GET', 'x', '/api', {}, 'a.tls.test')?.route.id, 'sni');
    assert.equal(router.match('GET', 'x', '/api', {}, 'b.tls.test')?.route.id, 'sni');
    assert.equal(router.match('GET', 'x', '/api', {}, 'c.tls.test')?.route.id, 'any');
    assert.equal(router.match('GET', 'x', '/api', {}, '')?.route.id, 'any');
    // Plain HTTP: the snis route matches (the proxy then answers 426: it is https-only).
    assert.equal(router.match('GET', 'x', '/api', {}, null)?.route.id, 'sni');
    assert.equal(router.match('GET', 'x', '/api', {})?.route.id, 'sni');
  }
  // The cache keys decisions by server name while a route has snis.
  const cached = buildRouter(routes, services);
  assert.equal(cached.match('GET', 'x', '/api', {}, 'a.tls.test')?.route.id, 'sni');
  assert.equal(cached.match('GET', 'x', '/api', {}, 'c.tls.test')?.route.id, 'any');
  assert.equal(cached.match('GET', 'x', '/api', {}, 'a.tls.test')?.route.id, 'sni');
});
