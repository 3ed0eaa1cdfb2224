// The index must give the same answer as trying every route in rank order (LinearMatcher), at any size.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Route } from '../../../config/types.ts';
import { LinearMatcher } from '../../../workers/router/linear.ts';
import { buildRouter } from '../../../workers/router/router.ts';
import type { Match } from '../../../workers/router/types.ts';
import { route, SERVICES } from './fixtures.ts';
import { mulberry32 as prng } from '../../helpers/prng.ts';

function summary(match: Match | null): string {
  if (match === null) return 'null';
  return `${match.route.id} ${match.upstreamPath} ${match.hostMatched} ${JSON.stringify(match.uriCaptures?.unnamed ?? null)}`;
}

/** Route i of a 10k-route config: a mix of exact hosts, wildcards, regexes, methods and plain prefixes. */
function bigRoute(i: number): Route {
  const id = `r${i}`;
  switch (i % 10) {
    case 5: return route({ id, hosts: [`*.t${i % 50}.example.com`], paths: [`/w${i}`] });
    case 6: return route({ id, paths: [`~/items/${i}/(?<id>\\d+)$`] });
    case 7: return route({ id, methods: ['GET'], paths: [`/p${i}`] });
    case 8: return route({ id, hosts: [`svc${i % 500}.example.com`], paths: [`~/u${i}/[a-z]+`] });
    case 9: return route({ id, paths: [`/static/${i}`] });
    default: return route({ id, hosts: [`svc${i % 500}.example.com`], paths: [`/api/v${i % 3}/r${i}`] });
  }
}

describe('10k routes', () => {
  const routes = Array.from({ length: 10_000 }, (_, i) => bigRoute(i));
  const router = buildRouter(routes, SERVICES, { cacheSize: 0 });

  it('builds with every route', () => {
    assert.equal(router.routeCount, 10_000);
  });

  it('matches each kind of route', () => {
    const cases: [string, string, string, string | null][] = [
      ['GET', 'svc123.example.com', '/api/v0/r123/x', 'r123'],
      ['GET', 'svc123.example.com', '/api/v0/r124', null],
      ['GET', 'a.t5.example.com:8000', '/w9005/z', 'r9005'],
      ['GET', 'b.t6.example.com', '/w9005', null],
      ['GET', 'h', '/items/4316/77', 'r4316'],
      ['GET', 'h', '/items/4316/77/x', null],
      ['GET', 'h', '/p7777', 'r7777'],
      ['POST', 'h', '/p7777', null],
      ['GET', 'svc318.example.com', '/u8818/abc', 'r8818'],
      ['GET', 'h', '/static/9999/app.js', 'r9999'],
    ];
    for (const [method, host, path, expected] of cases) {
      assert.equal(router.match(method, host, path, {})?.route.id ?? null, expected, `${method} ${host} ${path}`);
    }
    assert.equal(router.match('GET', 'h', '/items/4316/77', {})?.uriCaptures?.named.id, '77');
  });

  it('agrees with the linear matcher on requests near every kind of route', () => {
    const linear = new LinearMatcher(routes, SERVICES);
    const random = prng(42);
    for (let n = 0; n < 2000; n++) {
      const i = Math.floor(random() * 10_000);
      const r = routes[i]!;
      const host = r.hosts?.[0]?.replace('*', 'x') ?? `svc${Math.floor(random() * 600)}.example.com`;
      const base = r.paths![0]!.startsWith('~') ? `/items/${i}/${n}` : r.paths![0]!;
      const path = random() < 0.5 ? base : base + (random() < 0.5 ? '/more' : 'x');
      const method = random() < 0.8 ? 'GET' : 'POST';
      assert.equal(summary(router.match(method, host, path, {})), summary(linear.match(method, host, path, {})), `${method} ${host} ${path}`);
    }
  });
});

describe('random small configs', () => {
  const HOSTS = ['a.test', 'b.test', '*.test', 'a.*', 'a.test:8080', '*.b.test'];
  const PATHS = ['/', '/x', '/x/y', '/xy', '/x/y/z', '~/x/\\d+', '~/x/(?<n>[a-z]+)', '~/(x|y)/', '~/.*z$'];
  const HEADERS: Record<string, string[]>[] = [{ 'x-a': ['1'] }, { 'x-a': ['~*^[23]$'] }, { 'x-a': ['1'], 'x-b': ['2'] }];

  function pick<T>(random: () => number, list: readonly T[]): T {
    return list[Math.floor(random() * list.length)]!;
  }

  function some<T>(random: () => number, list: readonly T[], chance: number): T[] | null {
    if (random() > chance) return null;
    const count = 1 + Math.floor(random() * 3);
    return Array.from({ length: count }, () => pick(random, list));
  }

  it('agree with the linear matcher', () => {
    const random = prng(7);
    for (let config = 0; config < 200; config++) {
      const routes: Route[] = [];
      const count = 1 + Math.floor(random() * 12);
      for (let i = 0; i < count; i++) {
        routes.push(route({
          id: `c${config}r${i}`,
          created_at: Math.floor(random() * 4),
          hosts: some(random, HOSTS, 0.5),
          paths: some(random, PATHS, 0.7),
          methods: some(random, ['GET', 'POST'], 0.3),
          headers: random() < 0.2 ? pick(random, HEADERS) : null,
          regex_priority: Math.floor(random() * 3),
          strip_path: random() < 0.5,
        }));
      }
      const router = buildRouter(routes, SERVICES);
      const linear = new LinearMatcher(routes, SERVICES);
      for (let q = 0; q < 40; q++) {
        const method = pick(random, ['GET', 'POST', 'PUT']);
        const host = pick(random, ['a.test', 'A.TEST:8080', 'b.test', 'c.b.test', 'a.other', 'none', 'a.test:9']);
        const path = pick(random, ['/', '/x', '/x/', '/x/1', '/x/abc', '/xy', '/x/y/z', '/y/q', '/qz', '/x/../y/']);
        const headers = pick(random, [{}, { 'x-a': '1' }, { 'x-a': '3', 'x-b': '2' }, { 'x-a': ['1'], 'x-b': '2' }]);
        const label = `config ${config}, ${method} ${host} ${path} ${JSON.stringify(headers)}`;
        assert.equal(summary(router.match(method, host, path, headers)), summary(linear.match(method, host, path, headers)), label);
      }
    }
  });
});
