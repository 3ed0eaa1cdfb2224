// Runs on the bench orchestrator. Scenario "churn" (bench/run.ts --scenario churn): what target
// churn does to latency under steady traffic. The service points at an upstream entity with one
// target; the churner POSTs /config?wait=1 ten times a second with a config in which only that
// target's address changes (alternating between two ports of the same fast upstream). Three
// phases, loaded in alternation at one fixed request rate:
//   steady          Sluice, no reconfigures
//   churn           Sluice, 10 target-only reconfigures/s (should rebuild one balancer only)
//   churn, --rebuild-all   Sluice in its diagnostic mode that rebuilds everything (Kong's way)
// Scenario "route-churn" is the same with a 10,000-route table (route-table.ts) where each change
// rewrites one route's path and host (new names every time), and the load on `/bench`.
// Two more phases are floors of the machine, steady load on the same Sluice while something
// outside it does part of what a change costs:
//   CPU outside     an outside process (harness/load/spinner.ts, nice 0) burns the CPU the changes
//                   cost Sluice — their extra CPU per second over steady, from the rounds before —
//                   in bursts ten times a second; and the same CPU split over two such processes
//                   bursting together, so that both cores are taken at once (as a change's threads
//                   can: the primary, the config thread and V8's GC helper threads);
//   bytes outside   the same client posts the same bodies on the same schedule to a sink
//                   (harness/load/sink.ts) that reads each whole and answers with as many bytes as
//                   Sluice's 201 (Kong's answer: every entity, ~6 MB at 10k routes): the loopback
//                   copies and the client's own work, with no gateway work at all.
// On a machine with few cores either can raise the p99 whoever spends it; no change to Sluice's
// apply path can go below them.
// The client (harness/load/churner.ts, a process of its own at --churn-client-nice) sends on a
// fixed 100 ms schedule with at most two POSTs outstanding (Sluice queues the second behind the
// first), so the rate holds at 10/s while a POST takes up to 200 ms; a tick that finds two
// outstanding is skipped, never made up in a burst.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from '../context.ts';
import { withCpu } from '../load/compare.ts';
import { arrivalDescribe, runArrival } from '../load/arrival.ts';
import { startSpinner } from '../load/spinner.ts';
import { describeBackground } from '../report/machine.ts';
import { HOST, probe } from '../net.ts';
import { start, stop, waitForLine, type Child } from '../proc.ts';
import { brief, fmtInt, fmtMs, fmtX, median, summarize, table, type RunResult, type Summary } from '../report/report.ts';
import { postConfig, rejection, startSluice, type Sluice } from '../targets/sluice.ts';
import { routeTableConfig } from '../targets/route-table.ts';
import { plainConfig, upstreamConfig, type DeclarativeConfig } from '../targets/sluice-configs.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChurnerResult, ChurnerSpec } from '../load/churner.ts';

export type ChurnKind = 'target' | 'route';
/** Routes in the route-churn table. */
const ROUTE_TABLE = 10_000;

/** What a kind of churn posts and loads: the config with change `n`, and the path the load asks for. */
interface ChurnPlan {
  kind: ChurnKind;
  initial: DeclarativeConfig;
  change(n: number): DeclarativeConfig;
  loadPath: string;
  /** POST /config?wait=1 timeout: a 10k-route config takes the primary a while to prepare. */
  postTimeoutMs: number;
}

function churnPlan(kind: ChurnKind, upstreamUrl: string, addresses: readonly string[]): ChurnPlan {
  if (kind === 'route') {
    return { kind, initial: routeTableConfig(ROUTE_TABLE, 0, upstreamUrl), change: (n) => routeTableConfig(ROUTE_TABLE, n, upstreamUrl), loadPath: '/bench', postTimeoutMs: 30_000 };
  }
  return { kind, initial: plainConfig(upstreamUrl), change: (n) => upstreamConfig(addresses[n % addresses.length] ?? ''), loadPath: '/', postTimeoutMs: 5000 };
}

const RECONFIGS_PER_SECOND = 10;
/** POSTs in flight at most: one being applied, one queued behind it. */
const MAX_OUTSTANDING = 2;
/** How long the churner's process has to start and read its bodies before the schedule starts. */
const CHURNER_START_MS = 1500;
/**
 * Fixed load at this share of the closed-loop capacity: busy, but with headroom, so that a burst
 * of other work on a shared machine does not push Sluice into overload and drown the churn's
 * effect in queueing.
 */
const LOAD_SHARE = 0.3;
/**
 * Connections of the fixed-rate load (harness/load/arrival.ts: requests due on a 1 ms tick, evenly
 * spread, latency from the due time in fractions of a ms). autocannon's `rate` sent each
 * connection's share of a second back to back and reported whole milliseconds, which at a 3–4 ms
 * p99 made a 1.25× goal a 1 ms step. A request due while all are busy waits, its wait counted.
 */
const ARRIVAL_CONNECTIONS = 64;

/** The churner's results (harness/load/churner.ts) summed over a phase's rounds. */
interface ChurnStats extends ChurnerResult {
  /** Seconds the churner ran (its schedule's length, summed over rounds). */
  seconds: number;
}

interface Phase {
  name: string;
  /** The Sluice the load goes to. */
  sluice: Sluice;
  /** Where this phase's changes go: that Sluice's Admin API, the byte sink, or nowhere. */
  churn: 'sluice' | 'sink' | null;
  /** Nice value of the client process that posts them. */
  clientNice: number;
  /** The floor phase: an outside process burns the CPU the changes cost (cores, per round). */
  spin?: number[];
  /** Processes the floor's CPU is split over (bursting together). */
  spinners?: number;
  loads: RunResult[];
  /** The round each of `loads` ran in (the CPU floor skips rounds before its CPU is known). */
  rounds: number[];
  stats: ChurnStats;
}

function emptyStats(): ChurnStats {
  return { attempted: 0, ok: 0, errors: 0, skipped: 0, seconds: 0, latenciesMs: [], convergedMs: [], firstError: null };
}

/**
 * The bodies one churn phase posts, serialized before its load starts: building and stringifying a
 * 10k-route config is tens of ms of this process's CPU, which would otherwise compete with Sluice
 * for the cores during the measurement (a client that sends a config does that work elsewhere).
 */
function churnBodies(plan: ChurnPlan, durationMs: number, flip: { n: number }): string[] {
  const count = Math.ceil((durationMs / 1000) * RECONFIGS_PER_SECOND) + 1;
  return Array.from({ length: count }, (_, i) => JSON.stringify(plan.change(flip.n + 1 + i)));
}

/**
 * Runs the churner (harness/load/churner.ts) in its own process at `nice`: `bodies` to `url` from
 * `startAt` for `durationMs`, booked in `stats`; resolves once its last POST answered.
 */
async function runChurner(ctx: BenchContext, nice: number, url: string, plan: ChurnPlan, bodies: readonly string[], startAt: number, durationMs: number, stats: ChurnStats, flip: { n: number }): Promise<void> {
  const bodiesFile = join(ctx.tmpDir, 'churn-bodies.jsonl');
  writeFileSync(bodiesFile, bodies.join('\n'));
  const spec: ChurnerSpec = { url, bodiesFile, startAt, durationMs, perSecond: RECONFIGS_PER_SECOND, maxOutstanding: MAX_OUTSTANDING, timeoutMs: plan.postTimeoutMs };
  const script = join(import.meta.dirname, '..', 'load', 'churner.ts');
  const child = start('churner', 'nice', ['-n', String(nice), process.execPath, script, JSON.stringify(spec)]);
  try {
    const line = await waitForLine(child, (l) => l.startsWith('{"attempted"'), startAt - Date.now() + durationMs + 2 * plan.postTimeoutMs + 15_000);
    const result = JSON.parse(line) as ChurnerResult;
    flip.n += result.attempted;
    stats.attempted += result.attempted;
    stats.ok += result.ok;
    stats.errors += result.errors;
    stats.skipped += result.skipped;
    stats.seconds += durationMs / 1000;
    stats.latenciesMs.push(...result.latenciesMs);
    stats.convergedMs.push(...result.convergedMs);
    stats.firstError ??= result.firstError;
  } finally {
    await stop(child);
  }
}

/** The byte sink (harness/load/sink.ts) answering `answerBytes` bytes to every POST. */
async function startSink(answerBytes: number): Promise<{ child: Child; url: string }> {
  const child = start('sink', process.execPath, [join(import.meta.dirname, '..', 'load', 'sink.ts'), JSON.stringify({ answerBytes })]);
  const line = await waitForLine(child, (l) => l.includes('"ready":true'), 15_000);
  return { child, url: `http://${HOST}:${(JSON.parse(line) as { port: number }).port}` };
}

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN;
}

/**
 * Rebuild counters, to show what the churn rebuilt: Prometheus samples named *rebuild* from
 * /metrics summed over workers, one line per component ("balancer: targets=80 initial=2"),
 * else every `rebuilds` field of GET /workers.
 */
async function rebuildCounters(sluice: Sluice): Promise<string[]> {
  try {
    const metrics = await probeFull(`${sluice.adminUrl}/metrics`);
    const samples = metrics.status === 200 ? metrics.body.split('\n').filter((l) => /rebuild/i.test(l) && !l.startsWith('#')) : [];
    if (samples.length > 0) return sumOverWorkers(samples);
    const workers = await probeFull(`${sluice.adminUrl}/workers`);
    if (workers.status !== 200) return [`(no rebuild metrics: /metrics ${metrics.status}, /workers ${workers.status})`];
    const found: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object') return;
      for (const [key, child] of Object.entries(value)) {
        if (key === 'rebuilds') found.push(`${path}.rebuilds ${JSON.stringify(child)}`);
        else walk(child, `${path}${Array.isArray(value) ? `[${key}]` : `.${key}`}`);
      }
    };
    walk(JSON.parse(workers.body), 'workers');
    return found.length > 0 ? found : ['(GET /workers has no rebuilds field)'];
  } catch (err) {
    return [`(rebuild counters unavailable: ${brief(err, 1)})`];
  }
}

/** `name{worker="0",component="router",reason="x"} 3` lines → "router: x=3 ..." summed over workers. */
function sumOverWorkers(samples: readonly string[]): string[] {
  const byComponent = new Map<string, Map<string, number>>();
  for (const line of samples) {
    const match = /^[^{\s]+\{([^}]*)\}\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels = new Map([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const component = labels.get('component') ?? '?';
    // Updated in place vs rebuilt (sluice_rebuilds_total{kind}); entity totals of updates apart.
    const kind = line.startsWith('sluice_rebuild_updated_entities_total') ? ' entities' : labels.get('kind') === 'updated' ? ' updated' : '';
    const reason = (labels.get('reason') ?? '?') + kind;
    const reasons = byComponent.get(component) ?? new Map<string, number>();
    reasons.set(reason, (reasons.get(reason) ?? 0) + Number(match[2]));
    byComponent.set(component, reasons);
  }
  return [...byComponent].map(([component, reasons]) => `${component}: ${[...reasons].map(([r, n]) => `${r}=${n}`).join(' ')}`);
}

async function probeFull(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: await res.text() };
}

export async function runChurnScenario(ctx: BenchContext, kind: ChurnKind = 'target'): Promise<void> {
  const { settings } = ctx;
  const what = kind === 'route' ? `one-route (of ${ROUTE_TABLE})` : 'target-only';
  ctx.out(`\n## Reconfigure under load: ${RECONFIGS_PER_SECOND} ${what} POST /config?wait=1 per second, Sluice ${ctx.churnWorkers} worker(s)`);
  ctx.out(await describeBackground());
  const addresses = ctx.upstream.ports.slice(0, 2).map((p) => `127.0.0.1:${p}`);
  const plan = churnPlan(kind, ctx.upstreamUrl, addresses);
  const children: Child[] = [];
  try {
    const common = { workers: ctx.churnWorkers, config: plan.initial, tmpDir: ctx.tmpDir, nodeArgs: ctx.sluiceNodeArgs, readyTimeoutMs: plan.postTimeoutMs * 10 };
    const gated = await startSluice({ name: 'sluice-churn', ...common });
    children.push(gated.child);
    const rebuildAll = ctx.churnRebuildAll ? await startSluice({ name: 'sluice-rebuild-all', ...common, rebuildAll: true }) : null;
    if (rebuildAll !== null) children.push(rebuildAll.child);
    const sluices = rebuildAll === null ? [gated] : [gated, rebuildAll];
    /** Bytes of Sluice's 201 answer to a change (change 1 after change 0): what the byte sink answers. */
    let answerBytes = 0;
    for (const sluice of sluices) {
      let refused: string | null;
      try {
        refused = rejection(await postConfig(sluice.adminUrl, plan.change(0), true, plan.postTimeoutMs));
        const answer = await postConfig(sluice.adminUrl, plan.change(1), true, plan.postTimeoutMs);
        refused ??= rejection(answer);
        answerBytes = Math.max(answerBytes, Buffer.byteLength(answer.body));
      } catch (err) {
        refused = `POST /config failed: ${brief(err)}`;
      }
      if (refused === null) {
        const check = await probe(`${sluice.proxyUrl}${plan.loadPath}`).catch((err: Error) => ({ status: 0, body: err.message }));
        if (check.status !== 200) refused = `proxy through the upstream entity answered ${check.status}: ${check.body.slice(0, 160)}`;
      }
      if (refused !== null) {
        ctx.out(`skipped: ${refused}`);
        return;
      }
    }

    // Warm both up closed-loop first: a cold Sluice (JIT, pools) would understate the capacity.
    const loadSpec = (sluice: Sluice, durationS: number) => ({ url: `${sluice.proxyUrl}${plan.loadPath}`, durationS, connections: settings.connections });
    if (settings.warmupS > 0) {
      for (const sluice of sluices) await settings.driver.run(loadSpec(sluice, settings.warmupS));
    }
    const sink = await startSink(answerBytes);
    children.push(sink.child);
    ctx.out(
      `changes: POST /config?wait=1 from a client process (nice as named), ${RECONFIGS_PER_SECOND}/s on a ` +
        `${1000 / RECONFIGS_PER_SECOND} ms schedule, at most ${MAX_OUTSTANDING} in flight`,
    );
    ctx.out(`byte sink: answers ${fmtInt(answerBytes)} bytes (Sluice's 201 to a change) to each POST of the same bodies`);
    let rate = ctx.churnRate;
    if (rate === null) {
      const capacity = await settings.driver.run(loadSpec(gated, Math.max(3, Math.ceil(settings.durationS / 2))));
      rate = Math.max(100, Math.round((capacity.rps * LOAD_SHARE) / 100) * 100);
      ctx.out(`closed-loop capacity ${fmtInt(capacity.rps)} req/s (${settings.driver.name}) → fixed load ${fmtInt(rate)} req/s (${LOAD_SHARE * 100}%)`);
    } else {
      ctx.out(`fixed load ${fmtInt(rate)} req/s (--rate)`);
    }
    ctx.out(
      `load: ${arrivalDescribe}, ${ARRIVAL_CONNECTIONS} connections`,
    );

    // Per client nice value: the changes, and their bytes alone; the first value's changes are
    // the ones the CPU floor measures against.
    const nices = ctx.churnClientNices;
    const named = (name: string, nice: number): string => (nices.length > 1 || nice !== 0 ? `${name}, client nice ${nice}` : name);
    const phases: Phase[] = [
      { name: 'steady', sluice: gated, churn: null, clientNice: 0, loads: [], rounds: [], stats: emptyStats() },
      ...nices.map((nice) => ({ name: named(`10 ${kind} changes/s`, nice), sluice: gated, churn: 'sluice' as const, clientNice: nice, loads: [], rounds: [], stats: emptyStats() })),
      ...(rebuildAll === null ? [] : [{ name: `10 ${kind} changes/s --rebuild-all`, sluice: rebuildAll, churn: 'sluice' as const, clientNice: nices[0] ?? 0, loads: [], rounds: [], stats: emptyStats() }]),
      { name: 'steady + their CPU outside', sluice: gated, churn: null, clientNice: 0, loads: [], rounds: [], stats: emptyStats(), spin: [], spinners: 1 },
      { name: 'steady + their CPU outside, 2 cores', sluice: gated, churn: null, clientNice: 0, loads: [], rounds: [], stats: emptyStats(), spin: [], spinners: 2 },
      ...nices.map((nice) => ({ name: named('steady + their bytes outside', nice), sluice: gated, churn: 'sink' as const, clientNice: nice, loads: [], rounds: [], stats: emptyStats() })),
    ];
    /** Cores the changes cost Sluice over steady so far (medians of the rounds run), or null before both ran. */
    const changeCores = (): number | null => {
      const cores = (p: Phase | undefined): number => median((p?.loads ?? []).map((l) => (l.cpuMs ?? NaN) / 1000 / (l.durationS ?? NaN)));
      const extra = cores(phases[1]) - cores(phases[0]);
      return Number.isFinite(extra) ? Math.max(0, extra) : null;
    };
    // Change 1 is loaded: the churn goes on from change 2 (route names are never reused).
    const flips = new Map<Sluice, { n: number }>(sluices.map((s) => [s, { n: 1 }]));
    const sinkFlip = { n: 0 };
    for (let round = 0; round < settings.rounds; round += 1) {
      for (let i = 0; i < phases.length; i += 1) {
        const phase = phases[(round + i) % phases.length];
        if (phase === undefined) continue;
        const fixedRate = rate;
        const flip = phase.churn === 'sink' ? sinkFlip : (flips.get(phase.sluice) ?? { n: 0 });
        const bodies = phase.churn !== null ? churnBodies(plan, settings.durationS * 1000, flip) : [];
        const spinners: Child[] = [];
        if (phase.spin !== undefined) {
          const cores = changeCores();
          if (cores === null) continue;
          phase.spin.push(cores);
          // Ten bursts a second, as the changes come; one process, so at most one core.
          const count = phase.spinners ?? 1;
          for (let k = 0; k < count; k += 1) spinners.push(startSpinner(cores / count, 0, 1000 / RECONFIGS_PER_SECOND));
        }
        // The churner starts with the load and stops one second early, so no reconfigure
        // lands after the load generator has stopped measuring. Its process gets a moment to
        // start and read the bodies first.
        const churnTo = phase.churn === 'sluice' ? phase.sluice.adminUrl : phase.churn === 'sink' ? sink.url : null;
        const startAt = Date.now() + (churnTo === null ? 0 : CHURNER_START_MS);
        const churner = churnTo !== null ? runChurner(ctx, phase.clientNice, churnTo, plan, bodies, startAt, (settings.durationS - 1) * 1000, phase.stats, flip) : Promise.resolve();
        await sleep(Math.max(0, startAt - Date.now()));
        const url = `${phase.sluice.proxyUrl}${plan.loadPath}`;
        const load = withCpu(phase.sluice.child.pid, settings.durationS, () => runArrival({ url, durationS: settings.durationS, rate: fixedRate, connections: ARRIVAL_CONNECTIONS }));
        const [result] = await Promise.all([load, churner]);
        await Promise.all(spinners.map((c) => stop(c)));
        phase.loads.push(result);
        phase.rounds.push(round);
        settings.log(
          `  round ${round + 1}/${settings.rounds}  ${phase.name.padEnd(28)} ${fmtInt(result.rps).padStart(7)} req/s` +
            `  p99 ${fmtMs(result.p99Ms)} ms  errors ${result.non2xx + result.socketErrors}`,
        );
      }
    }
    printPhases(ctx, rate, phases.map((p) => ({ ...p, summary: summarize(p.loads) })));
    for (const [name, sluice] of [['sluice', gated], ['sluice --rebuild-all', rebuildAll]] as const) {
      if (sluice === null) continue;
      ctx.out(`\nrebuilds after the run, ${name} (all workers, whole run incl. setup):`);
      ctx.out((await rebuildCounters(sluice)).map((l) => `  ${l}`).join('\n'));
    }
  } catch (err) {
    ctx.out(`skipped: ${brief(err)}`);
  } finally {
    await Promise.all(children.map((c) => stop(c)));
  }
}

function printPhases(ctx: BenchContext, rate: number, phases: readonly (Phase & { summary: Summary })[]): void {
  // Phases of one round run back to back: compare each to the steady run of the same round.
  const steady = phases[0];
  const steadyIn = (round: number): Summary['byRound'][number] | undefined => steady?.summary.byRound[steady.rounds.indexOf(round)];
  const paired = (p: Phase & { summary: Summary }, metric: 'p99Ms' | 'cpuUsPerReq'): number =>
    median(p.rounds.map((round, i) => (p.summary.byRound[i]?.[metric] ?? NaN) / (steadyIn(round)?.[metric] ?? NaN)).filter(Number.isFinite));
  const row = (label: string, cell: (p: Phase & { summary: Summary }) => string): string[] => [label, ...phases.map(cell)];
  ctx.out('');
  ctx.out(
    table(
      ['', ...phases.map((p) => p.name)],
      [
        row(`req/s (median; asked ${fmtInt(rate)})`, (p) => fmtInt(p.summary.rps)),
        row('p50 ms', (p) => fmtMs(p.summary.p50Ms)),
        row('p99 ms', (p) => fmtMs(p.summary.p99Ms)),
        row('p99 vs steady (paired)', (p) => fmtX(paired(p, 'p99Ms'))),
        row('CPU/req vs steady (paired)', (p) => fmtX(paired(p, 'cpuUsPerReq'))),
        row('proxy errors', (p) => fmtInt(p.summary.errors)),
        row('Sluice CPU µs/req', (p) => (Number.isFinite(p.summary.cpuUsPerReq) ? p.summary.cpuUsPerReq.toFixed(1) : 'n/a')),
        row('outside CPU, cores (median)', (p) => (p.spin === undefined ? '-' : median(p.spin).toFixed(2))),
        row('POSTs ok/sent', (p) => (p.churn !== null ? `${p.stats.ok}/${p.stats.attempted}` : '-')),
        row('POSTs/s achieved (ok)', (p) => (p.churn !== null ? (p.stats.ok / p.stats.seconds).toFixed(1) : '-')),
        row('ticks skipped (2 in flight)', (p) => (p.churn !== null ? fmtInt(p.stats.skipped) : '-')),
        row('POST errors', (p) => (p.churn !== null ? fmtInt(p.stats.errors) : '-')),
        row('POST ?wait=1 p50 ms', (p) => (p.churn !== null ? fmtMs(median(p.stats.latenciesMs)) : '-')),
        row('POST ?wait=1 p99 ms', (p) => (p.churn !== null ? fmtMs(p99(p.stats.latenciesMs)) : '-')),
        row('converged_ms p50', (p) => (p.churn === 'sluice' ? fmtMs(median(p.stats.convergedMs)) : '-')),
        row('converged_ms p99', (p) => (p.churn === 'sluice' ? fmtMs(p99(p.stats.convergedMs)) : '-')),
      ],
    ),
  );
  // Per round: each phase's p99 and its ratio to the steady run of the same round.
  const rounds = Math.max(0, ...phases.flatMap((p) => p.rounds)) + 1;
  const perRound: string[][] = [];
  for (let r = 0; r < rounds; r += 1) {
    const base = steadyIn(r)?.p99Ms ?? NaN;
    perRound.push([
      String(r + 1),
      ...phases.map((p) => {
        const v = p.summary.byRound[p.rounds.indexOf(r)]?.p99Ms;
        if (v === undefined) return '-';
        return p === steady ? fmtMs(v) : `${fmtMs(v)} (${fmtX(v / base)})`;
      }),
    ]);
  }
  ctx.out('\np99 ms per round (ratio to the steady run of the same round):');
  ctx.out(table(['round', ...phases.map((p) => p.name)], perRound));
  for (const p of phases) if (p.stats.firstError !== null) ctx.out(`${p.name}: first reconfig error: ${p.stats.firstError}`);
}
