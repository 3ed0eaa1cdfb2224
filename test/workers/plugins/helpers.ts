// Test harness for the plugin layer: real snapshots (through the config layer's prepareConfig),
// a real PluginEnv (timer wheel, shared counters), and a tiny real server on 127.0.0.1 (the worker's
// own HTTP/1.1 listener, workers/http1)
// that does what the worker's proxy does around plugins — route, before(), a stand-in upstream
// answer through headerFilter(), after() on close — so every request in these tests is a real one.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, type TestContext } from 'node:test';
import { pino, type Logger } from 'pino';
import type { PluginSchema } from '../../../config/plugin-schema.ts';
import { prepareConfig, toSnapshot } from '../../../config/prepare.ts';
import type { Route, Service, Snapshot } from '../../../config/types.ts';
import { createCounterMemory } from '../../../runtime/protocol/counters.ts';
import { CredentialsIndex } from '../../../workers/credentials.ts';
import type { Http1Request } from '../../../workers/http1/request.ts';
import type { Http1Response } from '../../../workers/http1/response.ts';
import { Http1Server } from '../../../workers/http1/server.ts';
import type { AnyPluginDefinition } from '../../../workers/plugins/instances.ts';
import { PluginInstances, type PluginInstancesOptions } from '../../../workers/plugins/instances.ts';
import { buildPluginsIterator, type PluginsIterator } from '../../../workers/plugins/iterator.ts';
import { createRegistry, type PluginRegistry } from '../../../workers/plugins/registry.ts';
import { pluginSchemas } from '../../../config/plugins/index.ts';
import type { PluginEnv, UpstreamResponse } from '../../../workers/plugins/types.ts';
import { RequestContext } from '../../../workers/proxy/context.ts';
import { TimerWheel } from '../../../workers/timers/wheel.ts';

export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A pino logger whose lines land in `lines`, parsed. */
export function captureLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino(
    { level: 'debug', base: null, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { log, lines };
}

/** A declarative config (Kong's shape) to a snapshot, through the real config layer. */
export function snapshotOf(doc: Record<string, unknown>, extraSchemas: readonly PluginSchema[] = [], version = 1): Snapshot {
  const schemas = { ...pluginSchemas };
  for (const schema of extraSchemas) schemas[schema.name] = schema;
  const result = prepareConfig(JSON.stringify({ _format_version: '3.0', ...doc }), { plugins: schemas });
  if (!result.ok) throw new Error(`config rejected: ${JSON.stringify(result.errors)}`);
  return toSnapshot(result, version);
}

/** A schema for a test plugin: any config object. */
export function openSchema(name: string, priority: number): PluginSchema {
  return { name, priority, config: { type: 'object', additionalProperties: true } };
}

export interface Gateway {
  url: string;
  env: PluginEnv;
  instances: PluginInstances;
  registry: PluginRegistry;
  lines: LogLine[];
  snapshot: Snapshot;
  iterator: PluginsIterator;
  /** Builds a new iterator for `snapshot` and retires what it no longer uses, as the worker does. */
  install(snapshot: Snapshot): void;
  /** Requests that reached the gateway, and those whose after() has run. */
  started: number;
  finished: number;
}

export interface GatewayOptions extends PluginInstancesOptions {
  extra?: readonly AnyPluginDefinition[];
  counters?: SharedArrayBuffer;
}

/** What the stand-in upstream answers: what the plugins left for the upstream request to carry. */
export interface UpstreamEcho {
  path: string;
  headers: Record<string, string | null>;
  queryRemove: string[] | null;
  consumer: string | null;
  credential: string | null;
}

/** Where cleanups go: a test's context, or `suiteCleanup()` for a gateway shared by a file. */
export type Cleanups = Pick<TestContext, 'after'>;

/** Cleanups run by node:test's `after` hook of the enclosing suite. */
export function suiteCleanup(): Cleanups {
  const fns: (() => unknown)[] = [];
  after(async () => {
    for (const fn of fns.reverse()) await fn();
  });
  return { after: (fn: () => unknown) => void fns.push(fn) } as Cleanups;
}

export async function startGateway(t: Cleanups, snapshot: Snapshot, options: GatewayOptions = {}): Promise<Gateway> {
  const { log, lines } = captureLog();
  const wheel = new TimerWheel();
  t.after(() => wheel.close());
  let credentials = new CredentialsIndex(snapshot.entities.consumers, snapshot.entities.credentials);
  const env: PluginEnv = {
    worker: 0,
    wheel,
    counters: options.counters ?? createCounterMemory(1024),
    credentials: () => credentials,
    log,
  };
  const registry = createRegistry(options.extra);
  const instances = new PluginInstances(log, options);
  const gateway: Gateway = {
    url: '',
    env,
    instances,
    registry,
    lines,
    snapshot,
    iterator: buildPluginsIterator(snapshot, registry, instances, env),
    started: 0,
    finished: 0,
    install(next: Snapshot): void {
      credentials = new CredentialsIndex(next.entities.consumers, next.entities.credentials);
      gateway.iterator = buildPluginsIterator(next, registry, instances, env);
      gateway.snapshot = next;
      instances.retain(next);
    },
  };
  const server = new Http1Server(
    {
      handler: (req, res) => handle(gateway, req, res),
      failed: (error) => {
        throw error;
      },
    },
    () => {},
  );
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  gateway.url = `http://127.0.0.1:${(server.net.address() as AddressInfo).port}`;
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server.net, 'close');
  });
  return gateway;
}

/** The route whose first path is the longest prefix of the request path. */
function route(snapshot: Snapshot, path: string): { route: Route; service: Service | null } | null {
  let best: Route | null = null;
  let length = -1;
  for (const id in snapshot.entities.routes) {
    const candidate = snapshot.entities.routes[id]!;
    for (const prefix of candidate.paths ?? []) {
      if (path.startsWith(prefix) && prefix.length > length) {
        best = candidate;
        length = prefix.length;
      }
    }
  }
  if (best === null) return null;
  return { route: best, service: best.service === null ? null : (snapshot.entities.services[best.service.id] ?? null) };
}

function handle(gateway: Gateway, req: Http1Request, res: Http1Response): void {
  const { snapshot, iterator } = gateway;
  gateway.started++;
  const ctx = new RequestContext(req, res, performance.now());
  const url = req.url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const found = route(snapshot, path);
  if (found === null) {
    ctx.exit(404, { message: 'no Route matched with those values' });
    return;
  }
  ctx.route = found.route;
  ctx.service = found.service;
  const runner = iterator.forRoute(found.route, found.service);
  if (runner === null) return upstream(ctx, null);
  res.onClose = () => {
    runner.after(ctx);
    gateway.finished++;
  };
  const pending = runner.before(ctx);
  if (pending === undefined) return upstream(ctx, runner);
  pending.then(
    () => upstream(ctx, runner),
    (error: unknown) => {
      throw new Error(`before() must never reject: ${String(error)}`);
    },
  );
}

/** The stand-in upstream: answers 200 with what the plugins left for it; `x-upstream-headers` (JSON) adds response headers. */
function upstream(ctx: RequestContext, runner: ReturnType<PluginsIterator['forRoute']>): void {
  if (ctx.exited) return;
  const req = ctx.req;
  const extra = req.headers['x-upstream-headers'];
  const answer: UpstreamResponse = { statusCode: 200, headers: typeof extra === 'string' ? (JSON.parse(extra) as UpstreamResponse['headers']) : {} };
  if (runner !== null) runner.headerFilter(ctx, answer);
  if (ctx.exited) return;
  const echo: UpstreamEcho = {
    path: req.url,
    headers: (ctx.upstreamHeaders ?? {}) as Record<string, string | null>,
    queryRemove: ctx.upstreamQueryRemove,
    consumer: ctx.consumer?.username ?? ctx.consumer?.id ?? null,
    credential: ctx.credential?.id ?? null,
  };
  const body = JSON.stringify(echo);
  const res = ctx.res;
  for (const name in answer.headers) {
    const value = answer.headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  if (ctx.responseHeaders !== null) for (const name in ctx.responseHeaders) res.setHeader(name, ctx.responseHeaders[name]!);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.statusCode = answer.statusCode;
  res.end(body);
}

/** A promise with its settle functions, for holding requests in flight. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Waits until `test` holds, polling; fails after `timeoutMs` (generous: the cores are shared). */
export async function until(test: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
