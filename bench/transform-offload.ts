// Runs on the bench orchestrator (main thread of its own process). Large JSON body edits and the
// latency of small requests on the same worker (issue 16: "a 5 MB transform does not stall the
// worker"; goal: p99 of small requests while large transforms run <= 2x p99 without them).
//
// 1. Micro figures, in this process (skip with --skip-micro): the cost of editing a JSON body
//    inline at several sizes, and the round trip of the same edit on a piscina thread owned by
//    this thread (one MessagePort hop, the body transferred) vs through a relay thread first (two
//    hops, as sending the body to the primary's pool would be) — the figures behind
//    workers/transform/json-pool.ts's threshold and placement.
//    And one 5 MB edit in this thread, the splice (json-body.ts) against the parse/modify/stringify
//    it replaced (test/helpers/json-edit-by-parse.ts), alternated: CPU of this thread and of the
//    process (V8's GC helper threads included: what competes with a worker for the cores), V8 heap
//    allocated (from GC statistics) and the collections it caused. `--micro-only`: this part only.
// 2. End to end: one Sluice, 1 worker; /small (GET, request-transformer header edits) is loaded
//    in each variant, `--duration` seconds each, two ways, each window on its own:
//      closed   wrk, `--connections` (10) connections back to back: the worker saturated, so its
//               p99 is the queue behind any CPU it loses;
//      rate     `--rate` req/s (2,000) at a constant arrival rate (harness/load/arrival.ts, open
//               loop, latency from each request's due time): how an SLO is stated.
//    The variants:
//      alone    nothing else;
//      edit     `--big-clients` clients POST a 5 MB JSON body to /big (JSON body edits, on the
//               worker's pool thread) back to back, or `--big-rate` bodies a second in all;
//      pass     the same bodies to /pass, a route without plugins: the cost of moving 5 MB
//               through the worker, no edit at all;
//      spin     no Sluice work: an outside process keeps a core busy as much as the pool thread
//               was in `edit` (at nice 0, and at the pool thread's nice): the floor two busy
//               cores set;
//      sequential  (only when named in --only) `--sequential` (20) bodies one after another to /pass,
//               then to /big, nothing else running: the worker's full collections and ArrayBuffer
//               memory per body, from its own counts (GET /workers `gc`, `array_buffers`);
//      inline   (a second Sluice started with SLUICE_JSON_OFFLOAD_BYTES=off, after its own
//               `alone` run) the edits of `edit` done on the worker's event loop.
//    For each: p50/p99 of /small, the worker's event-loop delay and utilization (its own
//    metrics, scraped before and after), CPU per thread of Sluice (the worker, the JSON pool
//    thread, the rest) and of the machine, and the 5 MB requests done.
// `--node-args="..."`: extra node flags for both Sluice processes (V8 GC flags, say); with
// `--trace-gc` among them, the worker isolate's GC pauses are counted per window from its output.
// `--only=alone,edit,...`: a subset of the variants (alone, edit, pass-rate, pass, spin, inline).
// Bounded: 2 s warm-up + `--duration` s per variant, every process stopped by pid.
import { once } from 'node:events';
import { request as httpRequest, Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GCProfiler, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { editJson, type JsonEdits } from '../workers/transform/json-body.ts';
import { editJsonByParse } from '../test/helpers/json-edit-by-parse.ts';
import { freePorts } from './harness/net.ts';
import { installCleanupHandlers, stop } from './harness/proc.ts';
import { cpuTicks, describeBackground } from './harness/report/machine.ts';
import { wrkDriver } from './harness/load/load.ts';
import { arrivalDescribe, runArrival } from './harness/load/arrival.ts';
import { busiestIsolate, gcTrace, summarizeGc, type GcWindow } from './harness/report/gc-trace.ts';
import { startSluice, type Sluice } from './harness/targets/sluice.ts';
import { startUpstream } from './harness/targets/upstream.ts';
import { startSpinner } from './harness/load/spinner.ts';
import { threadDelta, threadsOf, type ThreadCpu } from './harness/report/threads.ts';

const { values } = parseArgs({ options: { duration: { type: 'string' }, 'big-clients': { type: 'string' }, connections: { type: 'string' }, rate: { type: 'string' }, 'rate-connections': { type: 'string' }, 'big-rate': { type: 'string' }, sequential: { type: 'string' }, only: { type: 'string' }, 'skip-micro': { type: 'boolean' }, 'micro-only': { type: 'boolean' }, 'node-args': { type: 'string' } } });
/** Extra node flags for Sluice (e.g. V8 GC flags), split on spaces. */
const nodeArgs = values['node-args']?.split(' ').filter((a) => a !== '') ?? [];
const durationS = Number(values.duration ?? '10');
const bigClients = Number(values['big-clients'] ?? '2');
const connections = Number(values.connections ?? '10');
const rate = Number(values.rate ?? '2000');
// Enough that the pool does not run dry at this rate unless answers take > 30 ms.
const rateConnections = Number(values['rate-connections'] ?? '64');
/** Large bodies per second in `edit` (and so in `pass-rate`); unset: as fast as the clients get answers. */
const bigRate = values['big-rate'] === undefined ? undefined : Number(values['big-rate']);
const VARIANTS = ['alone', 'edit', 'pass-rate', 'pass', 'spin', 'inline', 'sequential'] as const;
// `sequential` runs only when asked for: it is a count, not a latency window.
const only = new Set(values.only?.split(',') ?? VARIANTS.filter((v) => v !== 'sequential'));
for (const name of only) if (!(VARIANTS as readonly string[]).includes(name)) throw new Error(`--only: unknown variant ${name} (${VARIANTS.join(', ')})`);
const tracing = nodeArgs.includes('--trace-gc');
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const edits: JsonEdits = { mode: 'request', remove: ['secret'], rename: [['old', 'new']], replace: [], add: [['added', 'yes']], append: [] };
function body(bytes: number): Buffer {
  const rows = Math.max(1, Math.floor(bytes / 64));
  const list = Array.from({ length: rows }, (_, i) => ({ id: i, name: `row-${i}`, tags: ['a', 'b'], ok: true }));
  return Buffer.from(JSON.stringify({ secret: 's', old: 1, list }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

out('# JSON body edits off the worker thread');
out(`command: node bench/transform-offload.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
out(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
out(await describeBackground());

installCleanupHandlers(() => {});

// 1. Micro figures.
if (values['skip-micro'] !== true) {
  await micro();
  editCost();
}
if (values['micro-only'] === true) process.exit(0);

function editCost(): void {
  const rounds = 5;
  const perRound = 8;
  out(`\n## One 5 MB edit in this thread: splice vs parse/modify/stringify (per edit; median of ${rounds} rounds of ${perRound}, the two alternated)`);
  // A full collection before each round, so every round starts from the same heap.
  if (globalThis.gc === undefined) setFlagsFromString('--expose-gc');
  const collect = (globalThis.gc ?? (runInNewContext('gc') as () => void)) as () => void;
  const b = body(5 * 1024 * 1024);
  const ways = [['splice (json-body.ts)', editJson], ['parse/modify/stringify (before)', editJsonByParse]] as const;
  const figures = ways.map(() => ({ user: [] as number[], system: [] as number[], process: [] as number[], wall: [] as number[], allocated: [] as number[], peak: [] as number[], scavenges: [] as number[], compactions: [] as number[], pause: [] as number[] }));
  let kept: Buffer | null = null;
  for (const [, edit] of ways) for (let i = 0; i < 3; i++) kept = edit(b, edits);
  for (let r = 0; r < rounds; r++) {
    for (const [w, [, edit]] of ways.entries()) {
      collect();
      const heap0 = getHeapStatistics().used_heap_size;
      const profiler = new GCProfiler();
      profiler.start();
      const thread0 = process.threadCpuUsage();
      const process0 = process.cpuUsage();
      const wall0 = performance.now();
      for (let i = 0; i < perRound; i++) kept = edit(b, edits);
      const wall = performance.now() - wall0;
      const processUs = process.cpuUsage(process0);
      const threadUs = process.threadCpuUsage(thread0);
      const heap1 = getHeapStatistics().used_heap_size;
      const gcs = profiler.stop()?.statistics ?? [];
      // Allocated = what each collection freed + what is still there at the end.
      let allocated = heap1 - heap0;
      let peak = heap1 - heap0;
      let scavenges = 0;
      let compactions = 0;
      let pause = 0;
      for (const g of gcs) {
        allocated += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
        peak = Math.max(peak, g.beforeGC.heapStatistics.usedHeapSize - heap0);
        if (g.gcType === 'Scavenge' || g.gcType === 'MinorMarkSweep') scavenges++;
        else if (g.gcType === 'MarkSweepCompact') compactions++;
        pause += g.cost;
      }
      const f = figures[w]!;
      f.user.push(threadUs.user / 1000 / perRound);
      f.system.push(threadUs.system / 1000 / perRound);
      f.process.push((processUs.user + processUs.system) / 1000 / perRound);
      f.wall.push(wall / perRound);
      f.allocated.push(allocated / perRound / 2 ** 20);
      f.peak.push(peak / 2 ** 20);
      f.scavenges.push(scavenges / perRound);
      f.compactions.push(compactions / perRound);
      // GCProfiler's cost is in microseconds.
      f.pause.push(pause / 1000 / perRound);
    }
  }
  out(`body: ${(b.length / 2 ** 20).toFixed(2)} MiB; edit: remove 1, rename 1, add 1 top-level key; output kept: ${kept?.length ?? 0} bytes`);
  // System time here is mostly page faults: a new 5 MB output buffer in memory the kernel has to
  // map in, or malloc reusing what an earlier edit freed (then next to none), as it happens.
  out('| way | wall ms | CPU ms, this thread: user + system | CPU ms, process (GC helpers included) | V8 heap allocated MiB | peak V8 heap above start MiB (per round) | scavenges | mark-compacts | GC pause ms |');
  out('|---|---|---|---|---|---|---|---|---|');
  for (const [w, [name]] of ways.entries()) {
    const f = figures[w]!;
    out(`| ${name} | ${median(f.wall).toFixed(1)} | ${median(f.user).toFixed(1)} + ${median(f.system).toFixed(1)} | ${median(f.process).toFixed(1)} | ${median(f.allocated).toFixed(2)} | ${median(f.peak).toFixed(1)} | ${median(f.scavenges).toFixed(2)} | ${median(f.compactions).toFixed(2)} | ${median(f.pause).toFixed(2)} |`);
  }
}

async function micro(): Promise<void> {
out('\n## Inline edit vs pool round trip (median of 15, ms)');
const task = new URL('../workers/transform/json-task.ts', import.meta.url).href;
const pool = new Piscina({ filename: task, minThreads: 1, maxThreads: 1 });
// The relay: a thread with its own event loop that forwards the task to its pool and the answer back.
const relaySource = `
const { parentPort } = require('node:worker_threads');
const { Piscina } = require(${JSON.stringify(join(import.meta.dirname, '..', 'node_modules', 'piscina'))});
const pool = new Piscina({ filename: ${JSON.stringify(task)}, minThreads: 1, maxThreads: 1 });
parentPort.on('message', async ({ port, body, edits }) => {
  const out = await pool.run({ body, edits }, { transferList: [body.buffer] });
  port.postMessage(out, out === null ? [] : [out.buffer]);
});`;
const relay = new Worker(relaySource, { eval: true });
out('| body | inline edit | own pool (1 hop) | via a relay thread (2 hops) |');
out('|---|---|---|---|');
for (const size of [16 * 1024, 128 * 1024, 1024 * 1024, 5 * 1024 * 1024]) {
  const b = body(size);
  const inline: number[] = [];
  const own: number[] = [];
  const relayed: number[] = [];
  for (let i = 0; i < 15; i++) {
    let t = performance.now();
    editJson(b, edits);
    inline.push(performance.now() - t);
    const copy = new Uint8Array(b);
    t = performance.now();
    await pool.run({ body: copy, edits }, { transferList: [copy.buffer] });
    own.push(performance.now() - t);
    const copy2 = new Uint8Array(b);
    const { port1, port2 } = new MessageChannel();
    t = performance.now();
    relay.postMessage({ port: port2, body: copy2, edits }, [port2, copy2.buffer]);
    await once(port1, 'message');
    relayed.push(performance.now() - t);
    port1.close();
  }
  out(`| ${(b.length / 1024).toFixed(0)} KiB | ${median(inline).toFixed(2)} | ${median(own).toFixed(2)} | ${median(relayed).toFixed(2)} |`);
}
await pool.destroy();
await relay.terminate();
}


// 2. End to end.
out(`\n## p99 of small requests on one worker: alone, and beside ${bigClients} clients sending 5 MB JSON bodies`);
const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-transform-'));
const [upstreamPort] = await freePorts(1);
// node:http, not nginx: nginx refuses bodies over its 1 MB client_max_body_size (413).
const upstream = await startUpstream('node', [upstreamPort!], tmpDir);
const config = {
  _format_version: '3.0',
  services: [
    {
      name: 'bench',
      url: `http://127.0.0.1:${upstreamPort}`,
      routes: [
        { name: 'small', paths: ['/small'], plugins: [{ name: 'request-transformer', config: { add: { headers: ['x-added:yes'] } } }] },
        { name: 'big', paths: ['/big'], plugins: [{ name: 'request-transformer', config: { remove: { body: ['secret'] }, rename: { body: ['old:new'] }, add: { body: ['added:yes'] } } }] },
        { name: 'pass', paths: ['/pass'] },
      ],
    },
  ],
};
const big = body(5 * 1024 * 1024);

type Load = 'closed' | 'rate';

interface Variant {
  name: string;
  load: Load;
  rps: number;
  p50: number;
  p99: number;
  /** Fixed rate only: p99 from when each request was written (no wait for a free connection). */
  serviceP99: number;
  /** Fixed rate only: most requests waiting at once for a free connection. */
  maxWaiting: number;
  loopP99: number;
  loopMax: number;
  elu: number;
  workerCpu: number;
  poolCpu: number;
  otherCpu: number;
  /** The machine's busy share of its cores over the window, in cores. */
  boxCores: number;
  bigDone: number;
  bigFailed: number;
  bigMedianMs: number;
  bigPerSecond: number;
  poolNice: number | null;
  /** With --trace-gc: the worker isolate's GC pauses and every other isolate's, else null. */
  gc: { worker: string; others: string } | null;
}
const variants: Variant[] = [];

/** The worker's event-loop figures since the previous scrape (a scrape resets them). */
async function loopStats(adminUrl: string): Promise<{ p99: number; max: number; elu: number }> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const read = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
  return {
    p99: read(/^sluice_event_loop_delay_seconds\{[^}]*stat="p99"[^}]*\} (\S+)$/m) * 1000,
    max: read(/^sluice_event_loop_delay_seconds\{[^}]*stat="max"[^}]*\} (\S+)$/m) * 1000,
    elu: read(/^sluice_event_loop_utilization\{[^}]*\} (\S+)$/m),
  };
}

/**
 * 5 MB POSTs to `url` by `bigClients` clients until `stop` is called: back to back, or at most
 * `perSecond` requests a second in all.
 */
function bigLoad(url: string, perSecond = Infinity): { stop: () => Promise<{ done: number; failed: number; medianMs: number; perSecond: number }> } {
  let running = true;
  let done = 0;
  let failed = 0;
  const times: number[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: bigClients });
  const spacingMs = (bigClients * 1000) / perSecond;
  const started = performance.now();
  const loop = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      const next = t0 + spacingMs;
      await new Promise<void>((resolve) => {
        const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(big.length) } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) {
              done++;
              times.push(performance.now() - t0);
            } else failed++;
            resolve();
          });
        });
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end(big);
      });
      const wait = next - performance.now();
      if (running && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  const loops = Array.from({ length: bigClients }, () => loop());
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { done, failed, medianMs: times.length > 0 ? median(times) : NaN, perSecond: (done * 1000) / (performance.now() - started) };
    },
  };
}

interface Roles {
  /** The worker's event loop: the thread busiest while wrk alone loads it (the first variant). */
  worker: number | null;
  /** Threads alive at the end of the first variant; the JSON pool thread is born later, with the first large body. */
  known: Set<number> | null;
  /** The worker's isolate in --trace-gc output: the one collecting most while wrk alone loads it. */
  gcWorker: string | null;
}

async function measure(name: string, load: Load, sluice: Sluice, roles: Roles, background: (() => { stop: () => Promise<{ done: number; failed: number; medianMs: number; perSecond: number } | null> }) | null): Promise<Variant> {
  const bg = background?.() ?? null;
  // Warm-up (and, with a background load, let it settle) before the window opens.
  await wrkDriver.run({ url: `${sluice.proxyUrl}/small`, durationS: 2, connections });
  await loopStats(sluice.adminUrl);
  gc?.take();
  const threads0 = threadsOf(sluice.child.pid);
  const box0 = cpuTicks();
  const url = `${sluice.proxyUrl}/small`;
  const result = load === 'closed'
    ? { ...(await wrkDriver.run({ url, durationS, connections })), serviceP99Ms: NaN, maxWaiting: NaN }
    : await runArrival({ url, durationS, rate, connections: rateConnections });
  const box1 = cpuTicks();
  const threads = threadDelta(threads0, threadsOf(sluice.child.pid));
  const gcWindow = gc?.take() ?? null;
  const loop = await loopStats(sluice.adminUrl);
  const big = bg === null ? null : await bg.stop();
  if (roles.worker === null) roles.worker = busiest(threads);
  roles.known ??= new Set(threads.keys());
  if (gcWindow !== null) roles.gcWorker ??= busiestIsolate(gcWindow);
  let workerCpu = 0;
  let poolCpu = 0;
  let otherCpu = 0;
  let poolNice: number | null = null;
  for (const [tid, t] of threads) {
    if (tid === roles.worker) workerCpu += t.ms;
    else if (!roles.known.has(tid)) {
      poolCpu += t.ms;
      poolNice = t.nice;
    } else otherCpu += t.ms;
  }
  const windowMs = durationS * 1000;
  const v: Variant = {
    name,
    load,
    rps: result.rps,
    p50: result.p50Ms,
    p99: result.p99Ms,
    serviceP99: result.serviceP99Ms,
    maxWaiting: result.maxWaiting,
    loopP99: loop.p99,
    loopMax: loop.max,
    elu: loop.elu,
    workerCpu: workerCpu / windowMs,
    poolCpu: poolCpu / windowMs,
    otherCpu: otherCpu / windowMs,
    boxCores: ((box1.busy - box0.busy) / (box1.all - box0.all)) * cpus().length,
    bigDone: big?.done ?? 0,
    bigFailed: big?.failed ?? 0,
    bigMedianMs: big?.medianMs ?? NaN,
    bigPerSecond: big?.perSecond ?? 0,
    poolNice,
    gc: gcWindow === null ? null : gcFigures(gcWindow, roles.gcWorker),
  };
  variants.push(v);
  out(`- ${name}, ${load}: p99 ${v.p99.toFixed(2)} ms, loop delay p99 ${v.loopP99.toFixed(2)} ms, pool ${(v.poolCpu * 100).toFixed(0)}% of a core${v.gc === null ? '' : `, worker GC ${v.gc.worker}`}`);
  return v;
}

function gcFigures(window: GcWindow, worker: string | null): { worker: string; others: string } {
  const others = { scavenges: [] as number[], fulls: [] as number[], reasons: new Map<string, number>() };
  for (const [isolate, g] of window) {
    if (isolate === worker) continue;
    others.scavenges.push(...g.scavenges);
    others.fulls.push(...g.fulls);
  }
  return { worker: summarizeGc(worker === null ? undefined : window.get(worker)), others: summarizeGc(others) };
}

function busiest(threads: Map<number, ThreadCpu>): number | null {
  let best: number | null = null;
  let ms = -1;
  for (const [tid, t] of threads) {
    if (t.ms > ms) {
      best = tid;
      ms = t.ms;
    }
  }
  return best;
}

/** `count` large bodies one after another to each route: what the worker's GC does per body. */
async function sequential(sluice: Sluice, count: number, roles: Roles): Promise<void> {
  // The worker's own GC counts (GET /workers `gc`); a build without them is counted from --trace-gc.
  let traced = 0;
  let tracedMs = 0;
  const status = async (): Promise<{ full: number; fullMs: number; arrayBuffers: number }> => {
    const reply = (await (await fetch(`${sluice.adminUrl}/workers`)).json()) as { data: Array<{ status: { gc?: { full: number; full_ms: number }; array_buffers: number } }> };
    const s = reply.data[0]!.status;
    const fulls = roles.gcWorker === null ? undefined : gc?.take().get(roles.gcWorker)?.fulls;
    traced += fulls?.length ?? 0;
    tracedMs += fulls?.reduce((a, b) => a + b, 0) ?? 0;
    return { full: s.gc?.full ?? traced, fullMs: s.gc?.full_ms ?? tracedMs, arrayBuffers: s.array_buffers };
  };
  out(`\n### ${count} bodies of ${(big.length / 1048576).toFixed(1)} MiB one after another, nothing else running (the worker's own counts)`);
  out('| route | ms per body | worker full GCs | their pauses, ms | most ArrayBuffer memory held after a body, MiB |');
  out('|---|---|---|---|---|');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (const path of ['/pass', '/big']) {
    const before = await status();
    let most = 0;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const statusCode = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${sluice.proxyUrl}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(big.length) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(big);
      });
      if (statusCode !== 200) throw new Error(`${path}: a large body got ${statusCode}`);
      most = Math.max(most, (await status()).arrayBuffers - before.arrayBuffers);
    }
    const ms = (performance.now() - t0) / count;
    const after = await status();
    out(`| ${path} | ${ms.toFixed(0)} | ${after.full - before.full} | ${(after.fullMs - before.fullMs).toFixed(1)} | ${(most / 1048576).toFixed(1)} |`);
  }
  agent.destroy();
}

const bigBackground = (path: string, perSecond?: number) => () => bigLoad(`${current!.proxyUrl}${path}`, perSecond);
let current: Sluice | null = null;
let gc: { take(): GcWindow } | null = null;
type Background = Parameters<typeof measure>[4];
/** One variant in both loads: closed loop first (it finds the threads), then at the fixed rate. */
async function both(name: string, roles: Roles, background: Background): Promise<{ closed: Variant; rate: Variant }> {
  return { closed: await measure(name, 'closed', current!, roles, background), rate: await measure(name, 'rate', current!, roles, background) };
}
const freshRoles = (): Roles => ({ worker: null, known: null, gcWorker: null });
try {
  // Sluice as configured: large edits on the worker's pool thread.
  current = await startSluice({ name: 'sluice-offload', workers: 1, config, tmpDir, readyTimeoutMs: 180_000, nodeArgs });
  gc = tracing ? gcTrace(current.child) : null;
  let roles = freshRoles();
  const alone = await both('alone', roles, null);
  if (only.has('sequential')) await sequential(current, Number(values.sequential ?? '20'), roles);
  // pass-rate and spin take their rate and CPU from edit's closed-loop window.
  const edit = only.has('edit') || only.has('pass-rate') || only.has('spin') ? await both(bigRate === undefined ? 'edit (pool)' : `edit (pool, ${bigRate}/s)`, roles, bigBackground('/big', bigRate)) : null;
  if (edit !== null && only.has('pass-rate')) {
    const editRate = edit.closed.bigPerSecond;
    await both(`pass (no plugin, ${editRate.toFixed(1)}/s as edit)`, roles, bigBackground('/pass', editRate));
  }
  if (only.has('pass')) await measure('pass (no plugin, back to back)', 'closed', current, roles, bigBackground('/pass'));
  if (edit !== null && only.has('spin')) {
    const duty = Math.min(1, edit.closed.poolCpu);
    const poolNice = edit.closed.poolNice ?? 0;
    const spin = (nice: number) => () => {
      const child = startSpinner(duty, nice);
      return { stop: async () => (await stop(child), null) };
    };
    await both(`spin ${(duty * 100).toFixed(0)}% nice 0`, roles, spin(0));
    if (poolNice !== 0) await measure(`spin ${(duty * 100).toFixed(0)}% nice ${poolNice}`, 'closed', current, roles, spin(poolNice));
  }
  await stop(current.child);
  if (only.has('inline')) {
    // The same edits on the worker's own event loop.
    current = await startSluice({ name: 'sluice-inline', workers: 1, config, tmpDir, readyTimeoutMs: 180_000, nodeArgs, env: { ...process.env, SLUICE_JSON_OFFLOAD_BYTES: 'off' } });
    gc = tracing ? gcTrace(current.child) : null;
    roles = freshRoles();
    await both('alone (2nd Sluice)', roles, null);
    await both('inline edit (no pool)', roles, bigBackground('/big'));
  }

  out(`\nclosed: wrk -t1 -c${connections}; rate: ${rate} req/s over ${rateConnections} connections, ${arrivalDescribe}. p99 / alone: against the alone window of the same Sluice and load.`);
  out(`\n| variant | load | small req/s | p50 ms | p99 ms | p99 / alone | worker loop delay p99 / max ms | worker loop busy | CPU (cores): worker / pool thread / rest of Sluice / machine | 5 MB requests done (failed), per s, median ms |${tracing ? ' worker GC pauses | other isolates |' : ''}`);
  out(`|---|---|---|---|---|---|---|---|---|---|${tracing ? '---|---|' : ''}`);
  const reference = new Map<Load, Variant>();
  for (const v of variants) {
    if (v.name.startsWith('alone')) reference.set(v.load, v);
    const ref = reference.get(v.load)!;
    const pool = v.poolNice === null ? '' : ` (nice ${v.poolNice})`;
    const bigs = v.bigDone + v.bigFailed === 0 ? '—' : `${v.bigDone} (${v.bigFailed}), ${v.bigPerSecond.toFixed(1)}, ${v.bigMedianMs.toFixed(0)}`;
    const p99 = v.load === 'rate' ? `${v.p99.toFixed(2)} (sent→answer ${v.serviceP99.toFixed(2)}, ${v.maxWaiting} waited)` : v.p99.toFixed(2);
    const gcCells = v.gc === null ? '' : ` ${v.gc.worker} | ${v.gc.others} |`;
    out(`| ${v.name} | ${v.load} | ${v.rps.toFixed(0)} | ${v.p50.toFixed(2)} | ${p99} | ${(v.p99 / ref.p99).toFixed(2)}× | ${v.loopP99.toFixed(2)} / ${v.loopMax.toFixed(2)} | ${(v.elu * 100).toFixed(0)}% | ${v.workerCpu.toFixed(2)} / ${v.poolCpu.toFixed(2)}${pool} / ${v.otherCpu.toFixed(2)} / ${v.boxCores.toFixed(2)} | ${bigs} |${gcCells}`);
  }
  if (edit !== null) {
    for (const load of ['closed', 'rate'] as const) {
      const ratio = edit[load].p99 / alone[load].p99;
      const how = load === 'closed' ? `closed loop (wrk -c${connections})` : `fixed rate (${rate} req/s)`;
      out(`p99 with large edits / p99 alone, ${how}: ${ratio.toFixed(2)}x (goal <= 2x: ${ratio <= 2 ? 'met' : 'missed'})`);
    }
  }
} finally {
  if (current !== null) await stop(current.child);
  await stop(upstream.child);
}
