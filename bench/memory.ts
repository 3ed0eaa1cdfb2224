// Memory (issue #7): RSS of Sluice with 10k routes and plugins, and whether memory stays flat over
// 10,000 reloads. Sluice's workers are threads of one process, so RSS is the process's; the
// per-worker share is reported from each worker's own heap figure (GET /workers).
// Run: node bench/memory.ts [--reloads 10000] [--workers 2]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanupHandlers, stop, stopAll } from './harness/proc.ts';
import { postConfig, startSluice } from './harness/sluice.ts';
import type { DeclarativeConfig } from './harness/sluice-configs.ts';

const { values } = parseArgs({ options: { reloads: { type: 'string', default: '10000' }, workers: { type: 'string', default: '2' }, routes: { type: 'string', default: '10000' } } });
const RELOADS = Number(values.reloads);
const WORKERS = Number(values.workers);
const ROUTES = Number(values.routes);

/** `routes` routes on routes/10 services over upstreams with 2 targets, key-auth + a rate limit per service. */
function config(routes: number, targetPort: number): DeclarativeConfig {
  const upstreams = [];
  const services = [];
  const consumers = [];
  const plugins: unknown[] = [{ name: 'key-auth' }, { name: 'prometheus' }];
  for (let s = 0; s < routes / 10; s++) {
    upstreams.push({ name: `up-${s}`, targets: [{ target: `127.0.0.1:${s === 0 ? targetPort : 9000}` }, { target: '127.0.0.2:9000' }] });
    const serviceRoutes = [];
    for (let r = 0; r < 10; r++) serviceRoutes.push({ name: `r-${s}-${r}`, paths: [`/s${s}/r${r}`] });
    services.push({ name: `svc-${s}`, host: `up-${s}`, routes: serviceRoutes });
    consumers.push({ username: `c-${s}`, keyauth_credentials: [{ key: `key-${s}` }] });
    plugins.push({ name: 'rate-limiting', service: `svc-${s}`, config: { minute: 1000 + s } });
  }
  return { _format_version: '3.0', upstreams, services, consumers, plugins };
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Number(match[1]) / 1024;
}

async function workerHeapsMiB(adminUrl: string): Promise<number[]> {
  const body = (await (await fetch(`${adminUrl}/workers`)).json()) as { data: Array<{ status: { heap_used: number } | null }> };
  return body.data.map((w) => (w.status?.heap_used ?? NaN) / 1024 / 1024);
}

installCleanupHandlers(() => void stopAll());
const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-bench-mem-'));
const sluice = await startSluice({ name: 'sluice-mem', workers: WORKERS, config: config(ROUTES, 9001), tmpDir });
try {
  const pid = sluice.child.pid;
  const fmt = (n: number): string => n.toFixed(1);
  const settle = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2000));
  await settle();
  console.log(`Sluice, ${WORKERS} workers, ${ROUTES} routes (${ROUTES / 10} services, upstreams, consumers, rate-limiting plugins; key-auth, prometheus)`);
  console.log(`  process RSS ${fmt(rssMiB(pid))} MiB; worker heaps ${(await workerHeapsMiB(sluice.adminUrl)).map(fmt).join(', ')} MiB`);

  // Reloads are target-only changes of the same config: what churning upstreams do all day.
  const samples: Array<{ reload: number; rss: number; heaps: number[] }> = [];
  const started = performance.now();
  for (let i = 1; i <= RELOADS; i++) {
    const answer = await postConfig(sluice.adminUrl, config(ROUTES, i % 2 === 0 ? 9001 : 9002), true, 120_000);
    if (answer.status !== 201) throw new Error(`reload ${i}: POST /config answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    if (i % Math.max(1, Math.floor(RELOADS / 10)) === 0) samples.push({ reload: i, rss: rssMiB(pid), heaps: await workerHeapsMiB(sluice.adminUrl) });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${RELOADS} reloads in ${seconds.toFixed(0)} s (${(RELOADS / seconds).toFixed(1)}/s)`);
  for (const s of samples) console.log(`  after ${String(s.reload).padStart(6)}: RSS ${fmt(s.rss)} MiB, worker heaps ${s.heaps.map(fmt).join(', ')} MiB`);
  // Flatness is judged from the first sample (warm: pools, JIT and caches filled) to the last.
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const growth = (last.rss - first.rss) / first.rss;
  console.log(`RSS growth from reload ${first.reload} to ${last.reload}: ${(growth * 100).toFixed(1)}% (goal: within 5%): ${Math.abs(growth) <= 0.05 ? 'met' : 'NOT met'}`);
} finally {
  await stop(sluice.child);
  rmSync(tmpDir, { recursive: true, force: true });
}
await stopAll();
