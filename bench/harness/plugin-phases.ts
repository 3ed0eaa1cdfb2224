// Runs in a bench process (no worker thread): the in-process harness shared by
// bench/traffic-plugin-phases.ts and bench/auth-plugin-phases.ts. A case is one or more plugins of
// a declarative config (with its consumers and credentials, indexed as a worker indexes them); its
// phases (access, header_filter, log) run on real RequestContexts (the worker's Http1Request,
// headers as a client sends them), timed against the same loop without the plugins, paired round
// by round. What it leaves out is what every plugin shares (the phase runner, the proxy's path for
// routes with plugins). Times are the process's CPU time, not the wall clock. With `head`, the
// loop also builds the upstream header list as forward.ts does (upstreamRequestHeaders with the
// plugins' ctx.upstreamHeaders), which is where the X-Consumer-* headers an auth plugin sets cost
// something.
import type { Socket } from 'node:net';
import { prepareConfig, toSnapshot } from '../../config/prepare.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import { createCounterMemory } from '../../runtime/protocol/counters.ts';
import { createLogger } from '../../runtime/protocol/log.ts';
import { CredentialsIndex } from '../../workers/credentials.ts';
import { Http1Request } from '../../workers/http1/request.ts';
import type { Http1Response } from '../../workers/http1/response.ts';
import { createRegistry } from '../../workers/plugins/registry.ts';
import type { PluginEnv, PluginInstance, UpstreamResponse } from '../../workers/plugins/types.ts';
import { RequestContext } from '../../workers/proxy/context.ts';
import { upstreamRequestHeaders } from '../../workers/proxy/headers.ts';
import { TimerWheel } from '../../workers/timers/wheel.ts';
import { median } from './report/report.ts';

export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

export interface PhaseCase {
  name: string;
  /** Kong plugin entries, run in this order (the order of their priorities). */
  plugins: Record<string, unknown>[];
  /** Extra request headers, [name, value, ...] as the client sends them. */
  headers: string[];
  /** When given, request i sends variants[i % length] instead of `headers` (e.g. a new signature each time). */
  variants?: string[][];
  /** Request path (with query); default /bench. */
  url?: string;
}

export interface PreparedCase extends PhaseCase {
  instances: PluginInstance[];
}

export interface PhaseResult {
  name: string;
  /** Paired cost per round, ns per request. */
  costs: number[];
}

const log = createLogger();
log.level = 'silent';
const wheel = new TimerWheel();
const registry = createRegistry();
const socket = { remoteAddress: '127.0.0.1' } as Socket;
const response = {} as Http1Response;

/**
 * The case's plugin instances, made as a worker makes them, from `{ plugins, ...rest }` where rest
 * holds the config's other groups (consumers with their credentials).
 */
export function prepareCase(c: PhaseCase, rest: Record<string, unknown> = {}): PreparedCase {
  const prepared = prepareConfig(JSON.stringify({ _format_version: '3.0', ...rest, plugins: c.plugins }), { format: 'json', plugins: pluginSchemas });
  if (!prepared.ok) throw new Error(`${c.name}: ${JSON.stringify(prepared.errors)}`);
  const entities = toSnapshot(prepared, 1).entities;
  const credentials = new CredentialsIndex(entities.consumers, entities.credentials);
  const env: PluginEnv = { worker: 0, wheel, counters: createCounterMemory(1 << 16), credentials: () => credentials, log };
  const byName = Object.values(entities.plugins);
  const instances = c.plugins.map((p) => {
    const entity = byName.find((e) => e.name === p.name);
    if (entity === undefined) throw new Error(`${c.name}: plugin ${String(p.name)} not in the prepared config`);
    return (registry.get(entity.name)!.create as (config: unknown, env: PluginEnv, plugin: typeof entity) => PluginInstance)(entity.config, env, entity);
  });
  return { ...c, instances };
}

/** ns per request of `requests` requests through `instances` (empty: the same loop without a plugin). */
export function runLoop(instances: readonly PluginInstance[], c: PhaseCase, requests: number, head: boolean): number {
  const raws = (c.variants ?? [c.headers]).map((headers) => ['Host', '127.0.0.1:8000', 'User-Agent', BROWSER_UA, ...headers]);
  const url = c.url ?? '/bench';
  let sink = 0;
  const started = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    const ctx = new RequestContext(new Http1Request('GET', url, '1.1', raws[i % raws.length]!.slice(), socket), response, 0);
    const upstream: UpstreamResponse = { statusCode: 200, headers: { 'content-type': 'text/plain', 'content-length': '30' } };
    for (let p = 0; p < instances.length; p++) {
      const result = instances[p]!.access?.(ctx);
      if (result !== undefined) throw new Error(`${c.name}: access went asynchronous`);
      if (ctx.exited) throw new Error(`${c.name}: a bench request was refused`);
    }
    if (head) sink += upstreamHead(ctx).length;
    for (let p = 0; p < instances.length; p++) instances[p]!.headerFilter?.(ctx, upstream);
    for (let p = 0; p < instances.length; p++) void instances[p]!.log?.(ctx);
    sink += upstream.statusCode;
  }
  const ns = cpuNs(started) / requests;
  if (sink === 0) throw new Error('unreachable');
  return ns;
}

/**
 * CPU time (user + system, every thread of the process: GC helpers included) since `started`, in ns.
 * CPU rather than wall time: on a shared machine the wall clock also counts the time other jobs held
 * the core.
 */
function cpuNs(started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started);
  return (used.user + used.system) * 1000;
}

/** The upstream request head as forward.ts builds it for a route without strip_path. */
function upstreamHead(ctx: RequestContext): string {
  const req = ctx.req;
  const headers = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
    host: '127.0.0.1:8080',
    clientIp: ctx.clientIp,
    forwardedHost: '127.0.0.1',
    forwardedPort: '8000',
    forwardedProto: 'http',
    forwardedPath: req.url,
    forwardedPrefix: null,
    overrides: ctx.upstreamHeaders,
    bodyLength: -1,
  });
  let text = `GET ${req.url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]!}: ${headers[i + 1]!}\r\n`;
  return `${text}\r\n`;
}

/**
 * Every case warmed up, then `rounds` rounds in which each case's loop runs right after the same
 * loop without plugins (same headers): the paired difference is the plugins' cost.
 */
export function measureCases(cases: readonly PreparedCase[], opts: { requests: number; rounds: number; head: boolean }): { results: PhaseResult[]; baseNs: number } {
  runLoop([], cases[0]!, opts.requests, opts.head);
  for (const c of cases) runLoop(c.instances, c, opts.requests, opts.head);
  const results: PhaseResult[] = cases.map((c) => ({ name: c.name, costs: [] }));
  const bases: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const base = runLoop([], c, opts.requests, opts.head);
      bases.push(base);
      results[i]!.costs.push(runLoop(c.instances, c, opts.requests, opts.head) - base);
    }
  }
  return { results, baseNs: median(bases) };
}

/** One table row: name, median ns, min..max, and the share of `baselineUs` when given. */
export function resultRow(r: PhaseResult, baselineUs: number | null): string[] {
  const ns = median(r.costs);
  const share = baselineUs === null ? 'n/a' : `${((ns / 1000 / baselineUs) * 100).toFixed(2)} %`;
  return [r.name, `${Math.round(ns)} ns`, `${Math.round(Math.min(...r.costs))}..${Math.round(Math.max(...r.costs))}`, share];
}

/** Median ns per call of `fn` over `rounds` rounds of `calls` calls (a crypto primitive's floor). */
export function timeCalls(fn: () => unknown, calls: number, rounds: number): number {
  let sink = 0;
  for (let i = 0; i < Math.min(calls, 1000); i++) if (fn() !== undefined) sink++;
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = process.cpuUsage();
    for (let i = 0; i < calls; i++) if (fn() !== undefined) sink++;
    per.push(cpuNs(started) / calls);
  }
  if (sink === -1) throw new Error('unreachable');
  return median(per);
}

export function closeHarness(): void {
  wheel.close();
}
