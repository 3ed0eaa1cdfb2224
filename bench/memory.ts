// Memory (issue #7): RSS of Sluice with 10k routes and plugins, and whether it stays flat over
// 10,000 reloads.
//
// Sluice's workers are threads of ONE process (primary, the proxy workers, the spare worker and the
// piscina thread share one address space and one glibc malloc), so RSS exists only for the process.
// "RSS per worker" is therefore given as the process RSS (what the OS charges) next to each worker's
// own V8 heap, used/total (GET /workers, GET /metrics), and the primary's (GET /metrics).
//
// Flatness: RSS is sampled after a warm-up and then every `--every` reloads (default 1,000, at most
// a tenth of the run). Each later sample is compared to the warm-up sample; printed are the largest
// growth (the goal's concern: memory that creeps up) and the largest deviation either way, each
// against the 5% goal. The warm-up (default 100 reloads) lets what is built once come up: the
// workers' and the Admin API's first allocations, JIT code, every thread's young generation
// committed after its first collections. It is short on purpose: a long warm-up would hide a slow
// climb (before issue #7's fix, RSS rose for 3,000 reloads). The peak (VmHWM) is printed too.
// `--change route` makes each reload a one-route change instead (route r-0-0 gets a new path and host
// every time, names never reused): whether the routers, updated in place, keep removed routes.
// Run: node bench/memory.ts [--reloads 10000] [--routes 10000] [--workers 2] [--warmup 100] [--every 1000] [--change target|route]
//      [--trace N: also a one-line sample every N reloads] [--node-args=--flag: node flags for Sluice]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackground } from './harness/report/machine.ts';
import { installCleanupHandlers, stop, stopAll } from './harness/proc.ts';
import { postConfig, startSluice } from './harness/targets/sluice.ts';
import type { DeclarativeConfig } from './harness/targets/sluice-configs.ts';

const { values } = parseArgs({
  options: {
    reloads: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    routes: { type: 'string', default: '10000' },
    change: { type: 'string', default: 'target' },
    warmup: { type: 'string', default: '100' },
    every: { type: 'string', default: '1000' },
    /** Also print a one-line sample every N reloads (0: off), for attributing a curve. */
    trace: { type: 'string', default: '0' },
    /** Extra node flags for Sluice's process, space-separated (for experiments). */
    'node-args': { type: 'string', default: '' },
  },
});
const RELOADS = Number(values.reloads);
const WORKERS = Number(values.workers);
const ROUTES = Number(values.routes);
const WARMUP = Math.max(1, Math.min(Number(values.warmup), RELOADS));
const EVERY = Math.max(1, Math.min(Number(values.every), Math.floor(RELOADS / 10) || 1));
const TRACE = Number(values.trace);
const NODE_ARGS = values['node-args'].split(' ').filter((arg) => arg !== '');
const GOAL = 0.05;
const ROUTE_CHANGES = values.change === 'route';
if (!ROUTE_CHANGES && values.change !== 'target') throw new Error(`--change: target or route, not ${values.change}`);

/** `routes` routes on routes/10 services over upstreams with 2 targets, key-auth + a rate limit per service. */
function config(routes: number, targetPort: number, routeChange = 0): DeclarativeConfig {
  const upstreams = [];
  const services = [];
  const consumers = [];
  const plugins: unknown[] = [{ name: 'key-auth' }, { name: 'prometheus' }];
  for (let s = 0; s < routes / 10; s++) {
    upstreams.push({ name: `up-${s}`, targets: [{ target: `127.0.0.1:${s === 0 ? targetPort : 9000}` }, { target: '127.0.0.2:9000' }] });
    const serviceRoutes = [];
    for (let r = 0; r < 10; r++) {
      if (s === 0 && r === 0 && routeChange > 0) serviceRoutes.push({ name: 'r-0-0', paths: [`/churn/${routeChange}`], hosts: [`c${routeChange}.example.com`] });
      else serviceRoutes.push({ name: `r-${s}-${r}`, paths: [`/s${s}/r${r}`] });
    }
    services.push({ name: `svc-${s}`, host: `up-${s}`, routes: serviceRoutes });
    consumers.push({ username: `c-${s}`, keyauth_credentials: [{ key: `key-${s}` }] });
    plugins.push({ name: 'rate-limiting', service: `svc-${s}`, config: { minute: 1000 + s } });
  }
  return { _format_version: '3.0', upstreams, services, consumers, plugins };
}

const MiB = 1024 * 1024;

/** Process-wide figures from /proc/<pid>/status, in MiB. */
function procStatus(pid: number): { rss: number; hwm: number; anon: number; file: number; threads: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
    return match === null ? NaN : Number(match[1]);
  };
  return { rss: field('VmRSS') / 1024, hwm: field('VmHWM') / 1024, anon: field('RssAnon') / 1024, file: field('RssFile') / 1024, threads: field('Threads') };
}

async function workerHeapsMiB(adminUrl: string): Promise<number[]> {
  const body = (await (await fetch(`${adminUrl}/workers`)).json()) as { data: Array<{ status: { heap_used: number } | null }> };
  return body.data.map((w) => (w.status?.heap_used ?? NaN) / MiB);
}

/**
 * From GET /metrics: the primary thread's V8 heap (prom-client's default nodejs_* metrics are the
 * primary's) and each worker's heap size (sluice_worker_heap_size_bytes: what its isolate holds).
 */
async function heapsMiB(adminUrl: string): Promise<{ primary: { used: number; total: number; external: number; young: number }; workerTotals: number[] }> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const metric = (name: string): number => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text);
    return match === null ? NaN : Number(match[1]) / MiB;
  };
  const workerTotals = [...text.matchAll(/^sluice_worker_heap_size_bytes\{worker="(\d+)"\} ([0-9.e+]+)/gm)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => Number(m[2]) / MiB);
  return {
    primary: {
      used: metric('nodejs_heap_size_used_bytes'),
      total: metric('nodejs_heap_size_total_bytes'),
      external: metric('nodejs_external_memory_bytes'),
      young: metric('nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
    },
    workerTotals,
  };
}

interface Sample {
  reload: number;
  rss: number;
  anon: number;
  primary: { used: number; total: number; external: number; young: number };
  heaps: number[];
  workerTotals: number[];
}

async function sample(reload: number, pid: number, adminUrl: string): Promise<Sample> {
  const proc = procStatus(pid);
  const { primary, workerTotals } = await heapsMiB(adminUrl);
  return { reload, rss: proc.rss, anon: proc.anon, primary, heaps: await workerHeapsMiB(adminUrl), workerTotals };
}

const fmt = (n: number): string => n.toFixed(1);
const line = (s: Sample): string =>
  `RSS ${fmt(s.rss)} MiB (anon ${fmt(s.anon)}); primary heap ${fmt(s.primary.used)}/${fmt(s.primary.total)} MiB (new space ${fmt(s.primary.young)}), external ${fmt(s.primary.external)}; worker heaps ${s.heaps.map((used, i) => `${fmt(used)}/${fmt(s.workerTotals[i] ?? NaN)}`).join(', ')} MiB`;

installCleanupHandlers(() => void stopAll());
const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-bench-mem-'));
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; node ${process.version}; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '(unset)'}${NODE_ARGS.length > 0 ? `; node args ${NODE_ARGS.join(' ')}` : ''}`);
console.log(await describeBackground());
const sluice = await startSluice({ name: 'sluice-mem', workers: WORKERS, config: config(ROUTES, 9001), tmpDir, nodeArgs: NODE_ARGS });
try {
  const pid = sluice.child.pid;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const threads = procStatus(pid).threads;
  console.log(`Sluice, ${WORKERS} workers, ${ROUTES} routes (${ROUTES / 10} services, upstreams, consumers, rate-limiting plugins; key-auth, prometheus)`);
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg.startsWith('--') && !arg.startsWith('--config') && !arg.startsWith('--host') && !arg.startsWith('--port') && !arg.startsWith('--workers') && !arg.startsWith('--admin'));
  console.log(`  node flags (after runtime/index.js): ${cmdline.join(' ') || '(none)'}`);
  console.log(`One process (pid ${pid}, ${threads} OS threads: primary, ${WORKERS} workers, the spare worker, the piscina thread, libuv/V8 helpers); RSS is the process's.`);
  const start = await sample(0, pid, sluice.adminUrl);
  console.log(`  at start:     ${line(start)}`);

  // Reloads are target-only changes of the same config (what churning upstreams do all day), or
  // with --change route one-route changes (what an ingress controller does all day).
  console.log(`Each reload: ${ROUTE_CHANGES ? 'one route gets a new path and host' : 'one target changes'}`);
  const samples: Sample[] = [];
  const started = performance.now();
  for (let i = 1; i <= RELOADS; i++) {
    const answer = await postConfig(sluice.adminUrl, ROUTE_CHANGES ? config(ROUTES, 9001, i) : config(ROUTES, i % 2 === 0 ? 9001 : 9002), true, 120_000);
    if (answer.status !== 201) throw new Error(`reload ${i}: POST /config answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    if (i === WARMUP || i % EVERY === 0) samples.push(await sample(i, pid, sluice.adminUrl));
    else if (TRACE > 0 && i % TRACE === 0) console.log(`  trace ${String(i).padStart(6)}: ${line(await sample(i, pid, sluice.adminUrl))}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const end = procStatus(pid);
  console.log(`  ${RELOADS} reloads in ${seconds.toFixed(0)} s (${(RELOADS / seconds).toFixed(1)}/s)`);
  for (const s of samples) console.log(`  after ${String(s.reload).padStart(6)}: ${line(s)}`);
  console.log(`  peak RSS (VmHWM) ${fmt(end.hwm)} MiB`);
  const final = samples[samples.length - 1]!;
  console.log(
    `RSS per worker: the ${WORKERS} workers are threads of one process with the primary, the spare worker and the piscina thread, so RSS is not per worker: ` +
      `process RSS ${fmt(final.rss)} MiB; each worker's own V8 heap (used/total) ${final.heaps.map((used, i) => `${fmt(used)}/${fmt(final.workerTotals[i] ?? NaN)}`).join(', ')} MiB; the primary's ${fmt(final.primary.used)}/${fmt(final.primary.total)} MiB`,
  );

  // Flatness: every sample after the warm-up against the warm-up sample.
  const base = samples.find((s) => s.reload === WARMUP)!;
  const later = samples.filter((s) => s.reload > WARMUP);
  if (later.length === 0) {
    console.log(`RSS after ${WARMUP} reloads: ${fmt(base.rss)} MiB (${fmt(((base.rss - start.rss) / start.rss) * 100)}% over the start); too few reloads to judge flatness`);
  } else {
    let worst = later[0]!;
    for (const s of later) if (Math.abs(s.rss - base.rss) > Math.abs(worst.rss - base.rss)) worst = s;
    const pct = (rss: number): string => {
      const change = ((rss - base.rss) / base.rss) * 100;
      return `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`;
    };
    const deviation = Math.abs(worst.rss - base.rss) / base.rss;
    const highest = later.reduce((a, b) => (b.rss > a.rss ? b : a));
    const lowest = later.reduce((a, b) => (b.rss < a.rss ? b : a));
    const growth = Math.max(0, (highest.rss - base.rss) / base.rss);
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    console.log(`RSS after a ${WARMUP}-reload warm-up: ${fmt(base.rss)} MiB; the ${later.length} later samples from ${pct(lowest.rss)} (reload ${lowest.reload}) to ${pct(highest.rss)} (reload ${highest.reload}), at the end ${pct(later[later.length - 1]!.rss)}`);
    console.log(`RSS growth over the warm-up sample: max ${pct(base.rss * (1 + growth))}; goal within ${GOAL * 100}%: ${verdict(growth <= GOAL)}`);
    console.log(`RSS flatness, either way: max deviation ${pct(worst.rss)} (after reload ${worst.reload}); goal within ${GOAL * 100}%: ${verdict(deviation <= GOAL)}`);
  }
} finally {
  await stop(sluice.child);
  rmSync(tmpDir, { recursive: true, force: true });
}
await stopAll();
