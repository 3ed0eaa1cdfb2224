// `npm run bench` = node bench/run.ts. The bench orchestrator: starts a fast upstream, then per
// scenario the proxies under test (Sluice, nginx, the Node peer), loads them in alternation on
// 127.0.0.1 and prints req/s, p50, p99 and the ratios. Bounded in time; every process it starts
// is stopped by pid at the end, on error and on SIGINT. Results go to stdout, progress to stderr.
import { cpus, availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runChurnScenario } from './harness/scenarios/churn.ts';
import { runFloorScenario } from './harness/scenarios/floor.ts';
import type { BenchContext } from './harness/context.ts';
import { pickDriver } from './harness/load/load.ts';
import { nginxVersion } from './harness/targets/nginx.ts';
import { freePorts } from './harness/net.ts';
import { runAuthPluginsScenario } from './harness/scenarios/auth-plugins.ts';
import { runTransformPluginsScenario } from './harness/scenarios/transform-plugins.ts';
import { runPluginsScenario } from './harness/scenarios/plugins.ts';
import { runTrafficPluginsScenario } from './harness/scenarios/traffic-plugins.ts';
import { runLoggingPluginsScenario } from './harness/scenarios/logging-plugins.ts';
import { installCleanupHandlers, stopAll } from './harness/proc.ts';
import { runProxyScenario } from './harness/scenarios/proxy.ts';
import { NGINX_MISSING } from './harness/targets/targets.ts';
import { startUpstream, type UpstreamKind } from './harness/targets/upstream.ts';

const SCENARIOS = ['single', 'multi', 'plugins', 'auth', 'traffic', 'transform', 'logging', 'churn', 'route-churn', 'floor'] as const;
type Scenario = (typeof SCENARIOS)[number];
const DEFAULT_SCENARIOS: Scenario[] = ['single', 'multi', 'plugins'];

const USAGE = `usage: node bench/run.ts [options]
  --scenario LIST    comma-separated: single (1 worker each), multi (all cores each), plugins,
                     auth (each auth plugin alone vs none, 1 worker),
                     traffic (each traffic plugin alone vs none, 1 worker),
                     transform (request/response-transformer, proxy-cache alone vs none, 1 worker),
                     logging (each logging plugin alone vs none, 1 worker, real local receivers),
                     churn, route-churn (one route of 10,000 changed per reconfigure), floor (nginx
                     vs a raw Node relay vs llhttp+undici vs Sluice, 1 worker each: where the floor
                     for a Node proxy lies), or all. Default: single,multi,plugins
  --duration S       seconds per measured run (default 5; --quick 3)
  --rounds N         measured runs per target, in alternation (default 5; --quick 2)
  --warmup S         warm-up seconds per target, not measured (default 3; --quick 1)
  --connections N    concurrent connections of the load generator (default 50)
  --quick            ~1 minute smoke run: --duration 3 --rounds 2 --warmup 1
  --driver D         auto (wrk if installed, else autocannon) | wrk | autocannon
  --upstream U       auto (nginx static return if installed, else node:http) | nginx | node
  --rate N           churn: fixed load in req/s (default: half the measured capacity); auth: load
                     every target at this fixed rate and judge the plugins on CPU per request
  --churn-workers N  churn: Sluice workers (default: all cores)
  --no-rebuild-all   churn: leave out the phase against a --rebuild-all Sluice (Kong's way),
                     so that more rounds of the others fit in the same time
  --churn-client-nice LIST  churn: nice values of the process that posts the changes, comma-
                     separated (default 0); each adds its pair of phases (changes, their bytes). A
                     client elsewhere takes none of these cores; 19 lets it take only idle CPU
  --sluice-node-args=ARGS  node flags for every Sluice started (space-separated), e.g.
                     --sluice-node-args=--v8-pool-size=1
  --profile DIR      start every Sluice with --cpu-prof --cpu-prof-dir DIR (summarise with
                     node bench/harness/report/cpuprofile-top.ts DIR)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`${flag}: expected a non-negative integer, got ${value}`);
  return n;
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    quick: { type: 'boolean', default: false },
    driver: { type: 'string', default: 'auto' },
    upstream: { type: 'string', default: 'auto' },
    rate: { type: 'string' },
    'churn-workers': { type: 'string' },
    'no-rebuild-all': { type: 'boolean', default: false },
    'churn-client-nice': { type: 'string' },
    profile: { type: 'string' },
    'sluice-node-args': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const quick = values.quick;
const durationS = Math.max(2, positiveInt(values.duration, quick ? 3 : 5, '--duration'));
const rounds = Math.max(1, positiveInt(values.rounds, quick ? 2 : 5, '--rounds'));
const warmupS = positiveInt(values.warmup, quick ? 1 : 3, '--warmup');
const connections = Math.max(1, positiveInt(values.connections, 50, '--connections'));
const cores = availableParallelism();
const scenarioList = values.scenario === undefined ? DEFAULT_SCENARIOS : values.scenario === 'all' ? [...SCENARIOS] : values.scenario.split(',');
for (const s of scenarioList) if (!(SCENARIOS as readonly string[]).includes(s)) fail(`--scenario: unknown scenario ${s}`);
const scenarios = scenarioList as Scenario[];
if (!['auto', 'wrk', 'autocannon'].includes(values.driver)) fail(`--driver: unknown driver ${values.driver}`);
if (!['auto', 'nginx', 'node'].includes(values.upstream)) fail(`--upstream: unknown upstream ${values.upstream}`);

const nginx = nginxVersion();
const upstreamKind: UpstreamKind = values.upstream === 'node' || (values.upstream === 'auto' && nginx === null) ? 'node' : 'nginx';
if (upstreamKind === 'nginx' && nginx === null) fail('--upstream nginx: nginx is not installed (apt-get install nginx-light)');
const driver = pickDriver(values.driver as 'auto' | 'wrk' | 'autocannon');

const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const removeTmp = (): void => rmSync(tmpDir, { recursive: true, force: true });
installCleanupHandlers(removeTmp);

const profileDir = values.profile === undefined ? null : resolve(values.profile);
if (profileDir !== null) mkdirSync(profileDir, { recursive: true });

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function estimateSeconds(): number {
  const perTarget = warmupS + rounds * durationS + 1;
  const setup = 3;
  let total = 0;
  for (const s of scenarios) {
    if (s === 'single' || s === 'multi') total += 3 * perTarget + setup;
    if (s === 'plugins') total += 2 * perTarget + setup;
    if (s === 'auth') total += 8 * perTarget + setup;
    if (s === 'traffic') total += 7 * perTarget + setup;
    if (s === 'transform') total += 5 * perTarget + setup;
    if (s === 'logging') total += 7 * perTarget + setup;
    if (s === 'floor') total += 4 * perTarget + setup;
    if (s === 'churn' || s === 'route-churn') {
      const sluices = values['no-rebuild-all'] ? 1 : 2;
      total += (sluices + 2 + 2 * (values['churn-client-nice'] ?? '0').split(',').length) * rounds * durationS + sluices * (warmupS + setup) + Math.max(3, Math.ceil(durationS / 2));
    }
  }
  return total;
}

const upstreamPorts = await freePorts(2);
const upstream = await startUpstream(upstreamKind, upstreamPorts, tmpDir);
const ctx: BenchContext = {
  settings: { driver, durationS, warmupS, rounds, connections, log },
  upstream,
  upstreamUrl: `http://127.0.0.1:${upstreamPorts[0]}`,
  nginx,
  tmpDir,
  cores,
  sluiceNodeArgs: [...(profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]), ...(values['sluice-node-args'] ?? '').split(/\s+/).filter((a) => a !== '')],
  churnRate: values.rate === undefined ? null : positiveInt(values.rate, 0, '--rate'),
  churnWorkers: positiveInt(values['churn-workers'], cores, '--churn-workers') || cores,
  churnRebuildAll: !values['no-rebuild-all'],
  churnClientNices: (values['churn-client-nice'] ?? '0').split(',').map((n) => Math.min(19, positiveInt(n, 0, '--churn-client-nice'))),
  out,
};

out('# Sluice proxy benchmark');
out(`command:    node bench/run.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
out(`machine:    ${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
  `nginx ${nginx ?? 'not installed'}, load generator ${driver.describe}`);
out(`upstream:   ${upstream.describe}`);
out(`settings:   ${rounds} round(s) × ${durationS} s per target, alternated, after ${warmupS} s warm-up each; ${connections} connections; 127.0.0.1 only`);
out(`note:       the load generator, the upstream and the proxy under test share these ${cores} cores. ` +
  `The load generator alone keeps about one core busy, so "${cores} workers" proxies never get ${cores} free cores ` +
  'and multi-worker numbers understate what a dedicated machine would show; ratios measured in the same run are the figures to read.');
out('ratios:     paired by round (targets of a round run back to back), then the median over rounds.');
out('columns:    req/s, p50, p99 from the load generator; CPU µs/req = user+sys CPU time of the target\'s processes ' +
  '(all threads and child processes, from /proc) per request served, which other jobs on the machine disturb far less than req/s; ' +
  'cores used = that CPU time / run length.');
if (nginx === null) out(NGINX_MISSING);
log(`estimated duration: ~${Math.ceil(estimateSeconds() / 60)} min`);

const started = Date.now();
try {
  for (const scenario of scenarios) {
    if (scenario === 'single') await runProxyScenario(ctx, 1);
    else if (scenario === 'multi') {
      if (cores === 1) out('\n## all cores: skipped: 1 core, same as the 1-worker scenario');
      else await runProxyScenario(ctx, cores);
    } else if (scenario === 'plugins') await runPluginsScenario(ctx);
    else if (scenario === 'auth') await runAuthPluginsScenario(ctx);
    else if (scenario === 'traffic') await runTrafficPluginsScenario(ctx);
    else if (scenario === 'transform') await runTransformPluginsScenario(ctx);
    else if (scenario === 'logging') await runLoggingPluginsScenario(ctx);
    else if (scenario === 'floor') await runFloorScenario(ctx);
    else await runChurnScenario(ctx, scenario === 'route-churn' ? 'route' : 'target');
  }
  out(`\nfinished in ${Math.round((Date.now() - started) / 1000)} s`);
  if (profileDir !== null) out(`CPU profiles in ${profileDir}: node bench/harness/report/cpuprofile-top.ts ${profileDir}`);
} finally {
  await stopAll();
  removeTmp();
}
