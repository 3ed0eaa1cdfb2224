// Time from POST /config to every worker applied (issue #3): a one-target change and a one-route
// change against a full replacement, at 1k and 10k routes with plugins and upstreams to match, side by
// side in one run. For the one-route change also the workers' own apply time (sluice_config_apply_seconds).
// Run: node bench/config-apply.ts [--rounds N] [--workers N] [--sizes 1000,10000] [--baseline DIR] [--yaml] [--table kong|routes]
// --table routes: the route table of the route benches instead (harness/targets/route-table.ts: routes over
// routes/10 services, no upstreams, consumers or plugins: the shape issue 18 states its goals on); one-route
// changes only.
// Bodies are JSON (application/json), serialized before the clock starts: the round trip is the
// POST itself (send, Sluice's work, the 201 body read), not the client's JSON.stringify.
// Beside Sluice, the same one-route body goes to a floor (harness/targets/floor-config.ts: read,
// JSON.parse and clone the body once, answer a 201 body of Sluice's size from memory), so the
// figures say how much of the round trip is the transport. --yaml also posts each one-route change
// as YAML (application/x-yaml).
// --baseline DIR also runs the Sluice of another checkout (e.g. `git worktree add DIR <commit>`),
// both running at once and the POSTs alternated between them, so drift in the machine's background
// load hits both alike: "before" and "after" from one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { HOST, freePort } from './harness/net.ts';
import { describeBackground } from './harness/report/machine.ts';
import { installCleanupHandlers, start, stop, stopAll, waitForLine } from './harness/proc.ts';
import { median, table } from './harness/report/report.ts';
import { routeTableConfig } from './harness/targets/route-table.ts';
import { startSluice, type Sluice } from './harness/targets/sluice.ts';
import type { DeclarativeConfig } from './harness/targets/sluice-configs.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, workers: { type: 'string', default: '2' }, baseline: { type: 'string' }, sizes: { type: 'string', default: '1000,10000' }, yaml: { type: 'boolean', default: false }, table: { type: 'string', default: 'kong' } } });
const ROUNDS = Number(values.rounds);
const WORKERS = Number(values.workers);

interface Variant {
  name: string;
  start: typeof startSluice;
}

const variants: Variant[] = [{ name: 'this tree', start: startSluice }];
if (values.baseline !== undefined) {
  // The baseline's own harness, so its Sluice starts from its own tree (REPO_ROOT is per harness).
  const dir = resolve(values.baseline);
  const harness = (await import(pathToFileURL(join(dir, 'bench', 'harness', 'targets', 'sluice.ts')).href)) as { startSluice: typeof startSluice };
  variants.unshift({ name: `baseline ${values.baseline}`, start: harness.startSluice });
}

/**
 * `routes` routes over routes/10 services on as many upstreams (2 targets each), one consumer per
 * 10 routes with a key, key-auth globally and a rate limit per service. `generation` is written into
 * every entity's tags, so changing it changes every entity (a full replacement); `targetPort`
 * changes exactly one target.
 */
function bigConfig(routes: number, generation: number, targetPort: number, routeChange = 0): DeclarativeConfig {
  const services = routes / 10;
  const tags = [`gen-${generation}`];
  const upstreams = [];
  const serviceList = [];
  const consumers = [];
  const plugins: unknown[] = [{ name: 'key-auth', tags }];
  for (let s = 0; s < services; s++) {
    upstreams.push({ name: `up-${s}`, tags, targets: [{ target: `127.0.0.1:${s === 0 ? targetPort : 9000}`, tags }, { target: `127.0.0.2:9000`, tags }] });
    const serviceRoutes = [];
    for (let r = 0; r < 10; r++) serviceRoutes.push({ name: `r-${s}-${r}`, paths: [s === 0 && r === 0 ? `/s0/r0/${routeChange}` : `/s${s}/r${r}`], tags });
    serviceList.push({ name: `svc-${s}`, host: `up-${s}`, tags, routes: serviceRoutes });
    consumers.push({ username: `c-${s}`, tags, keyauth_credentials: [{ key: `key-${s}`, tags }] });
    plugins.push({ name: 'rate-limiting', service: `svc-${s}`, tags, config: { minute: 1000 + s, policy: 'local' } });
  }
  return { _format_version: '3.0', upstreams, services: serviceList, consumers, plugins };
}

const ROUTE_TABLE = values.table === 'routes';
const KINDS = ROUTE_TABLE ? (['route'] as const) : (['target', 'route', 'full'] as const);
function configFor(routes: number, generation: number, targetPort: number, routeChange: number): DeclarativeConfig {
  return ROUTE_TABLE ? routeTableConfig(routes, routeChange) : bigConfig(routes, generation, targetPort, routeChange);
}

/** POST `text` to `url`; the round trip runs from the request until the whole answer is read. */
async function post(url: string, text: string, type: string, timeoutMs = 120_000): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body: text, signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0 };
}

/** The floor (harness/targets/floor-config.ts) in its own process. */
async function startFloor(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = start('floor-config', process.execPath, [join(import.meta.dirname, 'harness', 'targets', 'floor-config.ts'), '--port', String(port)]);
  await waitForLine(child, (line) => line.includes('"ready":true'), 15_000);
  return { url: `http://${HOST}:${port}/config`, stop: () => stop(child) };
}

interface Figures {
  converged: number[];
  roundTrip: number[];
  /** Route changes: the floor's round trip for the same body, posted right after. */
  floor: number[];
  /** Route changes with --yaml: the round trip of the same change posted as YAML. */
  yaml: number[];
  /** Mean worker apply (ms) per POST, from sluice_config_apply_seconds{kind="delta"}; route changes only. */
  workerApply: number[];
}

/** Sum and count of sluice_config_apply_seconds{kind="delta"} over all workers. */
async function deltaApplies(adminUrl: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.includes('kind="delta"')) continue;
    if (line.startsWith('sluice_config_apply_seconds_sum')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    else if (line.startsWith('sluice_config_apply_seconds_count')) count += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { sum, count };
}

/** One Sluice per variant, all started before any is measured. */
async function measure(routes: number): Promise<{ target: Figures; full: Figures; route: Figures }[]> {
  const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-bench-apply-'));
  const running: Sluice[] = [];
  const empty = (): Figures => ({ converged: [], roundTrip: [], floor: [], yaml: [], workerApply: [] });
  const floor = await startFloor();
  const figures = variants.map(() => ({ target: empty(), full: empty(), route: empty() }));
  try {
    for (const [i, variant] of variants.entries()) {
      running.push(await variant.start({ name: `sluice-${routes}-${i}`, workers: WORKERS, config: configFor(routes, 0, 9001, 0), tmpDir, readyTimeoutMs: 180_000 }));
    }
    const generation = variants.map(() => 0);
    const port = variants.map(() => 9001);
    const routeChange = variants.map(() => 0);
    // Alternate the two kinds, and the variants (in turn first), so drift on this noisy machine hits all alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of KINDS) {
        for (let k = 0; k < variants.length; k++) {
          const v = (k + round) % variants.length;
          if (kind === 'target') port[v] = port[v] === 9001 ? 9002 : 9001;
          else if (kind === 'route') routeChange[v]!++;
          else generation[v]!++;
          const before = kind === 'route' ? await deltaApplies(running[v]!.adminUrl) : null;
          const config = configFor(routes, generation[v]!, port[v]!, routeChange[v]!);
          const text = JSON.stringify(config);
          const answer = await post(`${running[v]!.adminUrl}/config?wait=1`, text, 'application/json');
          if (answer.status !== 201) throw new Error(`${variants[v]!.name}: POST /config answered ${answer.status}: ${answer.body.slice(0, 300)}`);
          const body = JSON.parse(answer.body) as { converged_ms: number; upserts: number };
          const into = figures[v]![kind];
          into.converged.push(body.converged_ms);
          into.roundTrip.push(answer.ms);
          if (kind === 'route') {
            const floored = await post(`${floor.url}?size=${Buffer.byteLength(answer.body)}`, text, 'application/json');
            if (floored.status !== 201) throw new Error(`floor answered ${floored.status}`);
            into.floor.push(floored.ms);
          }
          if (kind === 'route' && values.yaml) {
            // The same change again as YAML: first one route more, then back, so Sluice sees a change each time.
            routeChange[v]!++;
            // No anchors: the config shares one tags array, which YAML would otherwise write as aliases.
            const yaml = toYaml(configFor(routes, generation[v]!, port[v]!, routeChange[v]!), { aliasDuplicateObjects: false });
            const answered = await post(`${running[v]!.adminUrl}/config?wait=1`, yaml, 'application/x-yaml');
            if (answered.status !== 201) throw new Error(`${variants[v]!.name}: YAML POST /config answered ${answered.status}: ${answered.body.slice(0, 300)}`);
            into.yaml.push(answered.ms);
          }
          if (before !== null) {
            const after = await deltaApplies(running[v]!.adminUrl);
            if (after.count > before.count) into.workerApply.push(((after.sum - before.sum) / (after.count - before.count)) * 1000);
          }
        }
      }
    }
  } finally {
    await floor.stop();
    for (const sluice of running) await stop(sluice.child);
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return figures;
}

installCleanupHandlers(() => void stopAll());
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`);
console.log(await describeBackground());
const rows: string[][] = [];
for (const routes of values.sizes.split(',').map(Number)) {
  const results = await measure(routes);
  const fmt = (n: number): string => (Number.isNaN(n) ? '–' : n.toFixed(1));
  for (const [v, { target, full, route }] of results.entries()) {
    rows.push([
      ...(variants.length > 1 ? [variants[v]!.name] : []),
      String(routes),
      fmt(median(target.converged)),
      fmt(median(route.converged)),
      fmt(median(full.converged)),
      `${fmt(median(full.converged) / median(target.converged))}×`,
      fmt(median(target.roundTrip)),
      fmt(median(route.roundTrip)),
      fmt(median(full.roundTrip)),
      fmt(median(route.floor)),
      ...(values.yaml ? [fmt(median(route.yaml))] : []),
      route.workerApply.length > 0 ? median(route.workerApply).toFixed(2) : 'n/a',
    ]);
  }
}
console.log(`POST /config?wait=1, ${WORKERS} workers, JSON bodies (application/json) serialized before the clock starts, median of ${ROUNDS} rounds each (ms)`);
console.log('converged = after the config was accepted, until every worker applied it; round trip = the whole POST (send, parse, validate, hash, diff, apply, the 201 body read); floor = the same one-route body to harness/targets/floor-config.ts (read, JSON.parse, one clone, a 201 body of the same size from memory); worker apply = mean of sluice_config_apply_seconds{kind="delta"} over the workers for that POST');
const header = ['routes', 'one target: converged', 'one route: converged', 'full: converged', 'full / target', 'one target: round trip', 'one route: round trip', 'full: round trip', 'one route: floor', ...(values.yaml ? ['one route as YAML: round trip'] : []), 'one route: worker apply'];
console.log(table(variants.length > 1 ? ['variant', ...header] : header, rows));
await stopAll();
