// Upstreams, targets and request contexts for the balancer tests (test thread).
import type { Snapshot, Target, Upstream } from '../../../config/types.ts';
import type { RequestContext } from '../../../workers/proxy/context.ts';
import { checks } from '../health/fixtures.ts';

export function upstream(fields: Partial<Upstream> = {}): Upstream {
  return {
    id: 'u-1',
    name: 'service.upstream',
    algorithm: 'round-robin',
    hash_on: 'none',
    hash_fallback: 'none',
    hash_on_header: null,
    hash_fallback_header: null,
    hash_on_cookie: null,
    hash_on_cookie_path: '/',
    hash_on_query_arg: null,
    hash_fallback_query_arg: null,
    hash_on_uri_capture: null,
    hash_fallback_uri_capture: null,
    slots: 10000,
    host_header: null,
    tags: null,
    ...fields,
    // Validation always fills Kong's nested defaults; a test gives only what it changes.
    healthchecks: { ...(checks() as unknown as Record<string, unknown>), ...fields.healthchecks },
  };
}

export function targets(count: number, upstreamId = 'u-1', weight = 100): Target[] {
  const out: Target[] = [];
  for (let i = 0; i < count; i++) out.push(target(`10.0.${i >> 8}.${i & 255}:8000`, upstreamId, weight));
  return out;
}

export function target(address: string, upstreamId = 'u-1', weight = 100): Target {
  return { id: `t-${upstreamId}-${address}`, upstream: { id: upstreamId }, target: address, weight, tags: null };
}

export interface FakeRequest {
  clientIp?: string;
  url?: string;
  headers?: Record<string, string>;
  consumerId?: string;
  credentialId?: string;
  captures?: { named?: Record<string, string>; unnamed?: string[] };
  path?: string;
}

/** A RequestContext with just what a balancer reads; `responseHeaders` collects what it sets. */
export function context(request: FakeRequest = {}): RequestContext & { responseHeaders: Record<string, string> | null } {
  const ctx = {
    clientIp: request.clientIp ?? '127.0.0.1',
    req: { url: request.url ?? '/', headers: request.headers ?? {} },
    consumer: request.consumerId === undefined ? null : { id: request.consumerId },
    credential: request.credentialId === undefined ? null : { id: request.credentialId },
    match:
      request.captures === undefined && request.path === undefined
        ? null
        : { path: request.path ?? request.url ?? '/', uriCaptures: request.captures === undefined ? null : { named: request.captures.named ?? {}, unnamed: request.captures.unnamed ?? [] } },
    responseHeaders: null as Record<string, string> | null,
    addResponseHeader(name: string, value: string) {
      (this.responseHeaders ??= {})[name] = value;
    },
  };
  return ctx as unknown as RequestContext & { responseHeaders: Record<string, string> | null };
}

/** A snapshot holding just upstreams and targets (what buildBalancers reads). */
export function snapshot(version: number, ups: Upstream[], tgts: Target[]): Snapshot {
  const entities = { services: {}, routes: {}, upstreams: {} as Record<string, Upstream>, targets: {} as Record<string, Target>, consumers: {}, credentials: {}, plugins: {} };
  const hashes = { services: {}, routes: {}, upstreams: {} as Record<string, string>, targets: {} as Record<string, string>, consumers: {}, credentials: {}, plugins: {} };
  for (const u of ups) {
    entities.upstreams[u.id] = u;
    hashes.upstreams[u.id] = JSON.stringify(u);
  }
  for (const t of tgts) {
    entities.targets[t.id] = t;
    hashes.targets[t.id] = JSON.stringify(t);
  }
  const groupHashes = { services: 's', routes: 'r', upstreams: JSON.stringify(hashes.upstreams), targets: JSON.stringify(hashes.targets), consumers: 'c', credentials: 'cr', plugins: 'p' };
  return { version, hash: `h${version}`, groupHashes, entityHashes: hashes, entities } as unknown as Snapshot;
}
