// Shared by the logging plugins' tests: a config routing /log to a real upstream with one logging
// plugin on it, the instance of that plugin, polling for an outcome, and the check of a log entry
// against Kong's serializer shape.
import assert from 'node:assert/strict';
import type { Snapshot } from '../../../../config/types.ts';
import type { LogEntry } from '../../../../workers/logging/serialize.ts';
import type { PluginInstance } from '../../../../workers/plugins/types.ts';
import type { ProxyHarness } from '../proxy-harness.ts';

/** A service on `upstream` with route `/log` carrying `plugin`; `unrelated` adds another service and route. */
export function logDoc(upstream: string, plugin: Record<string, unknown>, unrelated = false): Record<string, unknown> {
  return {
    services: [
      { name: 'logged', url: `${upstream}/base`, routes: [{ name: 'log-route', paths: ['/log'], plugins: [plugin] }] },
      ...(unrelated ? [{ name: 'other', url: upstream, routes: [{ name: 'other', paths: ['/other'] }] }] : []),
    ],
  };
}

/** The instance the harness's worker holds for the (one) plugin named `name`. */
export function instanceOf(proxy: ProxyHarness, snapshot: Snapshot, name: string): PluginInstance | null {
  const plugin = Object.values(snapshot.entities.plugins).find((p) => p.name === name)!;
  return proxy.deps.instances.entry(plugin, snapshot.entityHashes.plugins[plugin.id]!, proxy.deps.registry.get(name)!, proxy.deps.env).instance;
}

/** A log entry as received (JSON-parsed); route and service are the entities. */
export type Entry = Omit<LogEntry, 'route' | 'service'> & { route: { name: string }; service: { name: string } };

/** Polls `probe` until it returns a value other than undefined (the logging is asynchronous). */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * An entry for `GET /log/x?a=1&b&a=2` sent with `authorization: secret` and `x-test: <marker>`,
 * proxied to the service `logged`, as Kong's basic serializer has it.
 */
export function assertEntryShape(entry: Entry, marker: string): void {
  const request = entry.request;
  assert.equal(request.method, 'GET');
  assert.equal(request.uri, '/log/x?a=1&b&a=2');
  assert.match(request.url, /^http:\/\/127\.0\.0\.1:\d+\/log\/x\?a=1&b&a=2$/);
  assert.deepEqual(request.querystring, { a: ['1', '2'], b: true });
  assert.equal(request.headers['x-test'], marker);
  assert.equal(request.headers.authorization, 'REDACTED');
  assert.equal(request.headers['proxy-authorization'], 'REDACTED');
  assert.ok(request.size > 0, 'request.size counts the request bytes');
  assert.equal(entry.response.status, 200);
  assert.equal(entry.response.headers['content-type'], 'application/json');
  assert.ok(entry.response.size > 0);
  assert.equal(entry.upstream_uri, '/base/x?a=1&b&a=2');
  assert.equal(entry.upstream_status, '200');
  for (const key of ['kong', 'proxy', 'request'] as const) assert.equal(typeof entry.latencies[key], 'number', `latencies.${key}`);
  assert.ok(entry.latencies.proxy >= 0);
  assert.ok(entry.latencies.request >= entry.latencies.proxy);
  assert.equal(entry.service.name, 'logged');
  assert.equal(entry.route.name, 'log-route');
  assert.equal(entry.consumer, undefined);
  assert.equal(entry.authenticated_entity, undefined);
  assert.equal(entry.client_ip, '127.0.0.1');
  assert.ok(Math.abs(entry.started_at - Date.now()) < 120_000, 'started_at is epoch ms');
  assert.equal(entry.source, 'service');
  assert.equal(entry.workspace_name, 'default');
  assert.equal(typeof entry.workspace, 'string');
}

export const SHAPED_REQUEST = { path: '/log/x?a=1&b&a=2', headers: (marker: string) => ({ authorization: 'secret', 'proxy-authorization': 'Basic c2VjcmV0', 'x-test': marker }) };
