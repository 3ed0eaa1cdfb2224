// Traffic plugins' own per-request cost, in process: each plugin's phases (access, header_filter,
// log) run on real RequestContexts (the worker's Http1Request, parsed headers as wrk sends them)
// for requests that pass, timed against the same loop without the plugin. It isolates what the
// plugin code costs from the load-test noise of a shared machine; what it leaves out is the cost
// every plugin shares (the phase runner, the proxy's non-fast path for routes with plugins).
// Run: node bench/traffic-plugin-phases.ts [--baseline-us N]  (N: the proxy's CPU µs per request
// without plugins, from `node bench/run.ts --scenario traffic`, to print each cost as a share of it)
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { prepareConfig, toSnapshot } from '../config/prepare.ts';
import { pluginSchemas } from '../config/plugins/index.ts';
import { createCounterMemory } from '../runtime/protocol/counters.ts';
import { createLogger } from '../runtime/protocol/log.ts';
import { CredentialsIndex } from '../workers/credentials.ts';
import { Http1Request } from '../workers/http1/request.ts';
import type { Http1Response } from '../workers/http1/response.ts';
import { createRegistry } from '../workers/plugins/registry.ts';
import type { PluginEnv, PluginInstance, UpstreamResponse } from '../workers/plugins/types.ts';
import { RequestContext } from '../workers/proxy/context.ts';
import { TimerWheel } from '../workers/timers/wheel.ts';
import { median, table } from './harness/report/report.ts';

const { values } = parseArgs({ options: { 'baseline-us': { type: 'string' }, requests: { type: 'string' } } });
const BASELINE_US = values['baseline-us'] === undefined ? null : Number(values['baseline-us']);
const REQUESTS = Number(values.requests ?? 200_000);
const ROUNDS = 7;
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

const CASES: Array<{ name: string; plugin: Record<string, unknown>; headers: string[] }> = [
  { name: 'cors (regex origin)', plugin: { name: 'cors', config: { origins: ['http://app.example', String.raw`https://.*\.bench\.example`], credentials: true, exposed_headers: ['X-Trace'] } }, headers: ['Origin', 'https://a.bench.example'] },
  { name: 'ip-restriction', plugin: { name: 'ip-restriction', config: { deny: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'], allow: ['127.0.0.0/8', '::1'] } }, headers: [] },
  { name: 'bot-detection', plugin: { name: 'bot-detection' }, headers: [] },
  { name: 'request-size-limiting', plugin: { name: 'request-size-limiting', config: { allowed_payload_size: 1 } }, headers: [] },
  { name: 'response-ratelimiting', plugin: { name: 'response-ratelimiting', config: { limits: { video: { second: 1e9, day: 1e12 } }, limit_by: 'ip' } }, headers: [] },
];

const log = createLogger();
log.level = 'silent';
const wheel = new TimerWheel();
const credentials = new CredentialsIndex({}, {});
const env: PluginEnv = { worker: 0, wheel, counters: createCounterMemory(1 << 16), credentials: () => credentials, log };
const registry = createRegistry();
const socket = { remoteAddress: '127.0.0.1' } as Socket;
const response = {} as Http1Response;

function instanceOf(plugin: Record<string, unknown>): PluginInstance {
  const prepared = prepareConfig(JSON.stringify({ _format_version: '3.0', plugins: [plugin] }), { format: 'json', plugins: pluginSchemas });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors));
  const entity = Object.values(toSnapshot(prepared, 1).entities.plugins)[0]!;
  return (registry.get(entity.name)!.create as (config: unknown, env: PluginEnv, plugin: typeof entity) => PluginInstance)(entity.config, env, entity);
}

/** ns per request of `REQUESTS` requests through `instance` (null: the same loop without a plugin). */
function run(instance: PluginInstance | null, headers: string[]): number {
  const raw = ['Host', '127.0.0.1:8000', 'User-Agent', BROWSER, ...headers];
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const ctx = new RequestContext(new Http1Request('GET', '/bench', '1.1', raw.slice(), socket), response, 0);
    const upstream: UpstreamResponse = { statusCode: 200, headers: { 'content-type': 'text/plain', 'content-length': '30' } };
    if (instance !== null) {
      instance.access?.(ctx);
      instance.headerFilter?.(ctx, upstream);
      void instance.log?.(ctx);
    }
    if (ctx.exited) throw new Error('a bench request was refused');
    sink += upstream.statusCode;
  }
  const ns = Number(process.hrtime.bigint() - started) / REQUESTS;
  if (sink === 0) throw new Error('unreachable');
  return ns;
}

const rows: string[][] = [];
const instances = CASES.map((c) => instanceOf(c.plugin));
// Warm-up: every path compiled before anything is timed.
run(null, []);
for (let i = 0; i < CASES.length; i++) run(instances[i]!, CASES[i]!.headers);
const costs: number[][] = CASES.map(() => []);
const bases: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < CASES.length; i++) {
    // Paired: the plugin-less loop right before each plugin's, same headers.
    const base = run(null, CASES[i]!.headers);
    bases.push(base);
    costs[i]!.push(run(instances[i]!, CASES[i]!.headers) - base);
  }
}
for (let i = 0; i < CASES.length; i++) {
  const ns = median(costs[i]!);
  const share = BASELINE_US === null ? 'n/a' : `${((ns / 1000 / BASELINE_US) * 100).toFixed(2)} %`;
  rows.push([CASES[i]!.name, `${Math.round(ns)} ns`, `${Math.round(Math.min(...costs[i]!))}..${Math.round(Math.max(...costs[i]!))}`, share]);
}
process.stdout.write(`traffic plugin phases: ${REQUESTS} requests × ${ROUNDS} rounds per plugin, Node ${process.version}; loop without a plugin: ${Math.round(median(bases))} ns/request\n\n`);
process.stdout.write(`${table(['plugin (access + header_filter + log)', 'added ns/request (median)', 'min..max', `share of ${BASELINE_US ?? '?'} µs CPU/request without plugins`], rows)}\n`);
wheel.close();
