// A router updated in place by deltas must answer exactly as one built afresh from the same routes and
// services (property test over random delta sequences on a 10k-route table, requests over plain HTTP
// and over TLS with and without matching server names for routes with snis), and updates must leave
// nothing behind: removed routes and host names no longer held anywhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Route, Service } from '../../../config/types.ts';
import { buildRouter } from '../../../workers/router/router.ts';
import type { Match, RequestHeaders, Router } from '../../../workers/router/types.ts';
import { mulberry32 } from '../../helpers/prng.ts';
import { route, service } from './fixtures.ts';

type Random = () => number;

function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function int(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Everything a request's answer consists of, as one comparable string. */
function summary(match: Match | null): string {
  if (match === null) return 'null';
  const s = match.service;
  return [
    match.route.id, s === null ? 'no-service' : `${s.id}:${s.path}:${s.host}`, match.path, match.prefix, match.upstreamPath,
    match.hostMatched, JSON.stringify(match.uriCaptures),
  ].join(' | ');
}

// Small vocabularies, so routes collide on hosts and path prefixes and their rank decides.
const SEGMENTS = Array.from({ length: 40 }, (_, i) => `s${i}`);
const NAMES = Array.from({ length: 60 }, (_, i) => `h${i}`);

/** A random route and the request paths and hosts that should reach it. */
interface Made {
  route: Route;
  paths: string[];
  hosts: string[];
  /** Server names a TLS request to it may send. */
  snis: string[];
}

class Table {
  readonly random: Random;
  readonly routes = new Map<string, Made>();
  readonly services: Record<string, Service> = {};
  readonly withHeaders: boolean;
  #next = 0;
  #nextService = 0;

  constructor(seed: number, withHeaders: boolean) {
    this.random = mulberry32(seed);
    this.withHeaders = withHeaders;
  }

  addService(): Service {
    const id = `svc${this.#nextService++}`;
    const made = service({ id, path: pick(this.random, [null, '/', '/base', '/base/']), enabled: this.random() > 0.03 });
    this.services[id] = made;
    return made;
  }

  serviceId(): string {
    const ids = Object.keys(this.services);
    // Now and then a service that does not exist (removed): the route then has service null.
    return this.random() < 0.01 || ids.length === 0 ? 'svc-missing' : pick(this.random, ids);
  }

  makeRoute(id = `r${this.#next++}`): Made {
    const r = this.random;
    const hosts: string[] = [];
    const requestHosts: string[] = [];
    const hostCount = r() < 0.4 ? 0 : r() < 0.9 ? 1 : 2;
    for (let i = 0; i < hostCount; i++) {
      const name = pick(r, NAMES);
      const roll = r();
      if (roll < 0.55) {
        hosts.push(`${name}.example.com`);
        requestHosts.push(`${name}.example.com`);
      } else if (roll < 0.7) {
        hosts.push(`*.${name}.example.com`);
        requestHosts.push(`x.${name}.example.com`, `a.b.${name}.example.com`);
      } else if (roll < 0.8) {
        hosts.push(`${name}.*`);
        requestHosts.push(`${name}.org`, `${name}.co.uk`);
      } else if (roll < 0.87) {
        hosts.push(`*${name}.net`);
        requestHosts.push(`x${name}.net`);
      } else if (roll < 0.92) {
        hosts.push(`${name}-*`);
        requestHosts.push(`${name}-eu`);
      } else {
        hosts.push(`${name}.example.com:8443`);
        requestHosts.push(`${name}.example.com:8443`, `${name}.example.com`);
      }
    }
    const paths: string[] = [];
    const requestPaths: string[] = [];
    const pathCount = r() < 0.1 ? 0 : r() < 0.85 ? 1 : 2;
    for (let i = 0; i < pathCount; i++) {
      const a = pick(r, SEGMENTS);
      const b = pick(r, SEGMENTS);
      const roll = r();
      if (roll < 0.6) {
        const path = r() < 0.5 ? `/${a}` : `/${a}/${b}`;
        paths.push(path);
        requestPaths.push(path, `${path}/x`, `${path}x`);
      } else if (roll < 0.85) {
        paths.push(`~/${a}/(?<n>\\d+)`);
        requestPaths.push(`/${a}/${int(r, 100)}`, `/${a}/${int(r, 100)}/tail`);
      } else if (roll < 0.95) {
        paths.push(`~/(${a}|${b})/v\\d$`);
        requestPaths.push(`/${a}/v${int(r, 10)}`, `/${b}/v1`);
      } else {
        paths.push('/');
        requestPaths.push('/', `/${a}`);
      }
    }
    if (requestPaths.length === 0) requestPaths.push(`/${pick(r, SEGMENTS)}`);
    // Some routes match on the TLS server name too (one or two, from a small vocabulary): https-only
    // ones, and [http, https] ones, which plain HTTP requests reach without a server name.
    const snis = r() < 0.15 ? [...new Set([`${pick(r, NAMES)}.tls.test`, ...(r() < 0.3 ? [`${pick(r, NAMES)}.tls.test`] : [])])] : null;
    const made = route({
      id,
      service: { id: this.serviceId() },
      hosts: hostCount === 0 ? null : hosts,
      paths: pathCount === 0 ? null : paths,
      methods: r() < 0.75 ? null : r() < 0.5 ? ['GET'] : ['GET', 'POST'],
      headers: this.withHeaders && r() < 0.05 ? (r() < 0.5 ? { 'x-v': ['1'] } : { 'x-v': ['~*^v[12]$'] }) : null,
      regex_priority: int(r, 4) - 1,
      strip_path: r() < 0.5,
      path_handling: r() < 0.2 ? 'v1' : 'v0',
      // Ties on created_at happen (Kong: same second), so the id tie-break is exercised too.
      created_at: int(r, 5000),
      protocols: r() < 0.02 ? ['tcp'] : snis !== null && r() < 0.5 ? ['https'] : ['http', 'https'],
      snis,
    });
    return { route: made, paths: requestPaths, hosts: requestHosts, snis: snis ?? [] };
  }

  /** A request aimed at `made` (or near it): its hosts and paths, sometimes varied. */
  request(made: Made | undefined): [string, string, string, RequestHeaders, string | null] {
    const r = this.random;
    const method = pick(r, ['GET', 'GET', 'POST', 'PUT']);
    const host = made !== undefined && made.hosts.length > 0 && r() < 0.85 ? pick(r, made.hosts) : `${pick(r, NAMES)}.example.com`;
    const path = made !== undefined && r() < 0.9 ? pick(r, made.paths) : `/${pick(r, SEGMENTS)}/${pick(r, SEGMENTS)}`;
    const headers: RequestHeaders = r() < 0.7 ? {} : { 'x-v': pick(r, ['1', 'v2', 'V1', '3']) };
    // Plain HTTP (null), TLS with the route's own server name, another one, or none ('').
    const roll = r();
    const sni = roll < 0.3 ? null : roll < 0.7 && made !== undefined && made.snis.length > 0 ? pick(r, made.snis) : roll < 0.9 ? `${pick(r, NAMES)}.tls.test` : '';
    return [method, host, path, headers, sni];
  }
}

interface Step {
  routes: Route[];
  removedRoutes: string[];
  services: string[];
  touched: Made[];
}

/** 1–6 random edits: add, remove, change routes (paths, hosts, methods, priority...), change, add or remove services. */
function randomDelta(table: Table): Step {
  const r = table.random;
  const upserted = new Map<string, Route>();
  const removed = new Set<string>();
  const services = new Set<string>();
  const touched: Made[] = [];
  const ids = [...table.routes.keys()];
  const edits = 1 + int(r, 6);
  for (let e = 0; e < edits; e++) {
    const roll = r();
    if (roll < 0.25) {
      const made = table.makeRoute();
      table.routes.set(made.route.id, made);
      upserted.set(made.route.id, made.route);
      removed.delete(made.route.id);
      touched.push(made);
    } else if (roll < 0.45) {
      const id = pick(r, ids);
      const was = table.routes.get(id);
      if (was === undefined) continue;
      table.routes.delete(id);
      removed.add(id);
      upserted.delete(id);
      touched.push(was);
    } else if (roll < 0.85) {
      const id = pick(r, ids);
      const was = table.routes.get(id);
      if (was === undefined) continue;
      // An edit of some fields of the same route (same id, same created_at unless it is redrawn too).
      const fresh = table.makeRoute(id);
      const mix: Partial<Route> = {};
      const fields: (keyof Route)[] = ['paths', 'hosts', 'methods', 'regex_priority', 'headers', 'strip_path', 'service', 'path_handling', 'created_at', 'protocols'];
      for (const field of fields) if (r() < 0.35) (mix as Record<string, unknown>)[field] = fresh.route[field];
      // snis and protocols change together (snis need a TLS protocol).
      if (r() < 0.35) Object.assign(mix, { snis: fresh.route.snis, protocols: fresh.route.protocols });
      const route = { ...was.route, ...mix };
      const made: Made = {
        route,
        paths: route.paths === fresh.route.paths ? fresh.paths : was.paths,
        hosts: route.hosts === fresh.route.hosts ? fresh.hosts : was.hosts,
        snis: route.snis === fresh.route.snis ? fresh.snis : was.snis,
      };
      table.routes.set(id, made);
      upserted.set(id, route);
      removed.delete(id);
      touched.push(made, was);
    } else if (roll < 0.95) {
      const id = table.serviceId();
      const was = table.services[id];
      if (was === undefined) continue;
      table.services[id] = { ...was, path: pick(r, [null, '/', '/base', '/other/']), enabled: r() > 0.2 };
      services.add(id);
    } else if (r() < 0.5) {
      services.add(table.addService().id);
    } else {
      const id = table.serviceId();
      if (table.services[id] === undefined) continue;
      delete table.services[id];
      services.add(id);
    }
  }
  return { routes: [...upserted.values()], removedRoutes: [...removed], services: [...services], touched };
}

function checkSame(table: Table, updated: Router, step: Step, requests: number, label: string): void {
  const fresh = buildRouter([...table.routes.values()].map((m) => m.route), table.services, { cacheSize: 0 });
  assert.equal(updated.routeCount, fresh.routeCount, `${label}: route count`);
  const all = [...table.routes.values()];
  for (let q = 0; q < requests; q++) {
    // A third aimed at what this delta touched, the rest anywhere in the table.
    const target = step.touched.length > 0 && q % 3 === 0 ? pick(table.random, step.touched) : pick(table.random, all);
    const [method, host, path, headers, sni] = table.request(target);
    const got = summary(updated.match(method, host, path, headers, sni));
    const want = summary(fresh.match(method, host, path, headers, sni));
    if (got !== want) assert.equal(got, want, `${label}: ${method} ${host} ${path} ${JSON.stringify(headers)} sni=${String(sni)}`);
  }
}

function runSequence(seed: number, size: number, steps: number, requests: number, withHeaders: boolean): void {
  const table = new Table(seed, withHeaders);
  for (let s = 0; s < size / 10; s++) table.addService();
  for (let i = 0; i < size; i++) {
    const made = table.makeRoute();
    table.routes.set(made.route.id, made);
  }
  const updated = buildRouter([...table.routes.values()].map((m) => m.route), table.services);
  checkSame(table, updated, { routes: [], removedRoutes: [], services: [], touched: [] }, requests, `seed ${seed}, initial`);
  for (let n = 0; n < steps; n++) {
    const step = randomDelta(table);
    updated.update(step, table.services);
    checkSame(table, updated, step, requests, `seed ${seed}, step ${n}`);
  }
}

describe('router updated in place', () => {
  it('answers as a fresh build after each of 25 random deltas on a 10k-route table (headers on: no cache)', () => {
    runSequence(11, 10_000, 25, 2_000, true);
  });

  it('answers as a fresh build with its cache on, across 50 random deltas on a 2k-route table', () => {
    // No header conditions, so the updated router caches; requests repeat across deltas and a stale
    // cached decision would differ from the fresh build's.
    runSequence(23, 2_000, 50, 1_500, false);
  });

  it('answers as a fresh build on small tables where every route collides with others', () => {
    for (let seed = 100; seed < 140; seed++) runSequence(seed, 30, 25, 60, seed % 2 === 0);
  });

  it('is left unchanged when a changed route cannot compile', () => {
    const services = { svc: service({ id: 'svc' }) };
    const router = buildRouter([route({ id: 'a', paths: ['/a'] }), route({ id: 'b', paths: ['/b'] })], services);
    assert.throws(
      () => router.update({ routes: [route({ id: 'c', paths: ['/c'] }), route({ id: 'a', paths: ['~/(unclosed'] })], removedRoutes: ['b'], services: [] }, services),
      { code: 'SLUICE_ERR_CONFIG_INVALID' },
    );
    assert.equal(router.match('GET', 'h', '/a', {})?.route.id, 'a');
    assert.equal(router.match('GET', 'h', '/b', {})?.route.id, 'b');
    assert.equal(router.match('GET', 'h', '/c', {}), null);
    assert.equal(router.routeCount, 2);
  });

  it('re-files the routes of a changed service: disabled, enabled, new path, removed', () => {
    const services: Record<string, Service> = { s1: service({ id: 's1', path: '/one' }), s2: service({ id: 's2' }) };
    const routes = [route({ id: 'a', service: { id: 's1' }, paths: ['/a'] }), route({ id: 'b', service: { id: 's2' }, paths: ['/b'] })];
    const router = buildRouter(routes, services);
    assert.equal(router.match('GET', 'h', '/a/x', {})?.upstreamPath, '/one/x');
    services.s1 = { ...services.s1!, enabled: false };
    assert.equal(router.update({ routes: [], removedRoutes: [], services: ['s1'] }, services), 1);
    assert.equal(router.match('GET', 'h', '/a/x', {}), null);
    assert.equal(router.routeCount, 1);
    services.s1 = { ...services.s1, enabled: true, path: '/uno' };
    router.update({ routes: [], removedRoutes: [], services: ['s1'] }, services);
    assert.equal(router.match('GET', 'h', '/a/x', {})?.upstreamPath, '/uno/x');
    delete services.s1;
    router.update({ routes: [], removedRoutes: [], services: ['s1'] }, services);
    assert.equal(router.match('GET', 'h', '/a/x', {})?.service, null);
    assert.equal(router.match('GET', 'h', '/b', {})?.service?.id, 's2');
  });

  it('turns its cache off while a route has header conditions, and on again when none has', () => {
    const services = { svc: service({ id: 'svc' }) };
    const router = buildRouter([route({ id: 'a', paths: ['/'] })], services);
    assert.equal(router.cacheEnabled, true);
    router.update({ routes: [route({ id: 'h', paths: ['/'], headers: { 'x-a': ['1'] } })], removedRoutes: [], services: [] }, services);
    assert.equal(router.cacheEnabled, false);
    assert.equal(router.match('GET', 'h', '/', { 'x-a': '1' })?.route.id, 'h');
    assert.equal(router.match('GET', 'h', '/', {})?.route.id, 'a');
    router.update({ routes: [], removedRoutes: ['h'], services: [] }, services);
    assert.equal(router.cacheEnabled, true);
    assert.equal(router.match('GET', 'h', '/', { 'x-a': '1' })?.route.id, 'a');
  });

  it('forgets a cached decision when the route behind it changes', () => {
    const services = { svc: service({ id: 'svc' }) };
    const router = buildRouter([route({ id: 'a', paths: ['/a'] })], services);
    assert.equal(router.match('GET', 'h', '/a', {})?.route.id, 'a');
    assert.equal(router.match('GET', 'h', '/a', {})?.route.id, 'a');
    assert.equal(router.cacheHits, 1);
    router.update({ routes: [route({ id: 'b', paths: ['/a'], methods: ['GET'] })], removedRoutes: [], services: [] }, services);
    assert.equal(router.match('GET', 'h', '/a', {})?.route.id, 'b');
  });
});

describe('router updates leave nothing behind', () => {
  const gc = (globalThis as { gc?: () => void }).gc;

  function heapAfterGc(): number {
    gc!();
    gc!();
    return process.memoryUsage().heapUsed;
  }

  it('keeps its heap flat over 10,000 deltas that replace routes with ones on new hosts and paths', { skip: gc === undefined ? 'needs --expose-gc' : false }, () => {
    const services = { svc: service({ id: 'svc' }) };
    const live: Route[] = [];
    let next = 0;
    // Each route gets host and path names never used before: a tree, a node or a map key that
    // outlived its route would add up over the run.
    const fresh = (): Route => {
      const n = next++;
      const roll = n % 4;
      return route({
        id: `churn${n}`,
        hosts: roll === 0 ? null : roll === 1 ? [`h${n}.example.com`] : roll === 2 ? [`*.w${n}.example.com`] : [`p${n}.*`],
        paths: n % 3 === 0 ? [`~/re${n}/(?<id>\\d+)`] : [`/a/b${n}/c`, `/a/b${n}`],
      });
    };
    for (let i = 0; i < 2000; i++) live.push(fresh());
    const router = buildRouter(live, services);
    const churn = (deltas: number): void => {
      for (let d = 0; d < deltas; d++) {
        const at = d % live.length;
        const gone = live[at]!;
        const added = fresh();
        live[at] = added;
        router.update({ routes: [added], removedRoutes: [gone.id], services: [] }, services);
        router.match('GET', `h${next - 1}.example.com`, `/a/b${next - 1}/c`, {});
      }
    };
    churn(1000);
    const before = heapAfterGc();
    churn(9000);
    const after = heapAfterGc();
    assert.equal(router.routeCount, 2000);
    // A leak of one small object per delta would be ~9000 × 100 B; the structures for 2000 live routes stay.
    assert.ok(after - before < 400 * 1024, `heap grew by ${after - before} bytes over 9000 deltas`);
  });
});
