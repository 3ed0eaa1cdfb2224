// Time from POST /config to every worker applied (issue #3): a one-target change against a full
// replacement, at 1k and 10k routes with plugins and upstreams to match, side by side in one run.
// Run: node bench/config-apply.ts [--rounds N] [--workers N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanupHandlers, stop, stopAll } from './harness/proc.ts';
import { median, table } from './harness/report.ts';
import { postConfig, startSluice } from './harness/sluice.ts';
import type { DeclarativeConfig } from './harness/sluice-configs.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, workers: { type: 'string', default: '2' } } });
const ROUNDS = Number(values.rounds);
const WORKERS = Number(values.workers);

/**
 * `routes` routes over routes/10 services on as many upstreams (2 targets each), one consumer per
 * 10 routes with a key, key-auth globally and a rate limit per service. `generation` is written into
 * every entity's tags, so changing it changes every entity (a full replacement); `targetPort`
 * changes exactly one target.
 */
function bigConfig(routes: number, generation: number, targetPort: number): DeclarativeConfig {
  const services = routes / 10;
  const tags = [`gen-${generation}`];
  const upstreams = [];
  const serviceList = [];
  const consumers = [];
  const plugins: unknown[] = [{ name: 'key-auth', tags }];
  for (let s = 0; s < services; s++) {
    upstreams.push({ name: `up-${s}`, tags, targets: [{ target: `127.0.0.1:${s === 0 ? targetPort : 9000}`, tags }, { target: `127.0.0.2:9000`, tags }] });
    const serviceRoutes = [];
    for (let r = 0; r < 10; r++) serviceRoutes.push({ name: `r-${s}-${r}`, paths: [`/s${s}/r${r}`], tags });
    serviceList.push({ name: `svc-${s}`, host: `up-${s}`, tags, routes: serviceRoutes });
    consumers.push({ username: `c-${s}`, tags, keyauth_credentials: [{ key: `key-${s}`, tags }] });
    plugins.push({ name: 'rate-limiting', service: `svc-${s}`, tags, config: { minute: 1000 + s, policy: 'local' } });
  }
  return { _format_version: '3.0', upstreams, services: serviceList, consumers, plugins };
}

interface Figures {
  converged: number[];
  roundTrip: number[];
}

async function measure(routes: number): Promise<{ target: Figures; full: Figures }> {
  const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-bench-apply-'));
  const sluice = await startSluice({ name: `sluice-${routes}`, workers: WORKERS, config: bigConfig(routes, 0, 9001), tmpDir });
  const target: Figures = { converged: [], roundTrip: [] };
  const full: Figures = { converged: [], roundTrip: [] };
  try {
    let generation = 0;
    let port = 9001;
    // Alternate the two kinds so drift on this noisy machine hits both alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['target', 'full'] as const) {
        if (kind === 'target') port = port === 9001 ? 9002 : 9001;
        else generation++;
        const answer = await postConfig(sluice.adminUrl, bigConfig(routes, generation, port), true, 120_000);
        if (answer.status !== 201) throw new Error(`POST /config answered ${answer.status}: ${answer.body.slice(0, 300)}`);
        const body = JSON.parse(answer.body) as { converged_ms: number; upserts: number };
        const figures = kind === 'target' ? target : full;
        figures.converged.push(body.converged_ms);
        figures.roundTrip.push(answer.ms);
      }
    }
  } finally {
    await stop(sluice.child);
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return { target, full };
}

installCleanupHandlers(() => void stopAll());
const rows: string[][] = [];
for (const routes of [1000, 10_000]) {
  const { target, full } = await measure(routes);
  const fmt = (n: number): string => n.toFixed(1);
  rows.push([
    String(routes),
    fmt(median(target.converged)),
    fmt(median(full.converged)),
    `${(median(full.converged) / median(target.converged)).toFixed(1)}×`,
    fmt(median(target.roundTrip)),
    fmt(median(full.roundTrip)),
  ]);
}
console.log(`POST /config?wait=1, ${WORKERS} workers, median of ${ROUNDS} rounds each (ms)`);
console.log('converged = after the config was accepted, until every worker applied it; round trip = the whole POST (parse, validate, hash, diff, apply)');
console.log(table(['routes', 'one target: converged', 'full: converged', 'full / target', 'one target: round trip', 'full: round trip'], rows));
await stopAll();
