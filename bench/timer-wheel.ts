// Benchmark: the per-worker TimerWheel (workers/timers/) against Node's setTimeout/clearTimeout,
// in one process, rounds alternating so machine noise hits both alike. Runs on the main thread
// standing in for one worker (each worker owns one wheel).
//
//   node_modules/.bin/node --expose-gc bench/timer-wheel.ts
//
// Figures: insert / cancel / schedule-then-cancel cost over 1,000,000 timers with delays uniform
// in 1 ms..60 s (insert twice: into a fresh wheel that grows its tables, then again into the
// same, now warm, wheel); bytes per live timer (heap + external after gc); CPU per fired timer
// (200k timers, short delays within level 0 and medium ones that cascade once); the longest
// tick with 1M timers pending (a simulated clock sweeping all 60 s, repeated so the OS's
// preemptions can be told apart from the wheel's own work; plus the real clock for a few
// seconds); early firings. Costs are process CPU time (user + system, all threads), medians;
// wall-clock figures and the page faults of each insert round are printed too. Whole run: about
// a minute.
import os from 'node:os';
import { TimerWheel, type TimerClock } from '../workers/timers/index.ts';
import { mulberry32 } from '../test/helpers/prng.ts';

const N = 1_000_000;
const ROUNDS = 3;
const FIRE_N = 200_000;
const SHORT_MAX_DELAY = 250; // within level 0 (256 ms): fired straight from their slot
const MEDIUM_MIN_DELAY = 300; // level 1 first: each timer is cascaded once before it fires
const MEDIUM_MAX_DELAY = 800;
const SETTLE_MS = 100;
const SWEEP_RUNS = 5;
const FIRE_ROUNDS = 7;
const REAL_WINDOW_MS = 3000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with --expose-gc: node_modules/.bin/node --expose-gc bench/timer-wheel.ts');
  process.exit(1);
}

const rnd = mulberry32(20240905);
const delays = new Float64Array(N);
for (let i = 0; i < N; i++) delays[i] = 1 + Math.floor(rnd() * 60_000);
const shortDelays = new Float64Array(FIRE_N);
for (let i = 0; i < FIRE_N; i++) shortDelays[i] = 1 + Math.floor(rnd() * SHORT_MAX_DELAY);
const mediumDelays = new Float64Array(FIRE_N);
for (let i = 0; i < FIRE_N; i++) mediumDelays[i] = MEDIUM_MIN_DELAY + Math.floor(rnd() * (MEDIUM_MAX_DELAY - MEDIUM_MIN_DELAY));

function noop(): void {}

function memory(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// --- insert, cancel, pairs, memory ---------------------------------------------------------

interface Cost {
  wallNs: number;
  cpuNs: number;
  /** Minor page faults (first touches of memory new to the process) per 1,000 timers. */
  faults: number;
}

interface OpsRound {
  /** The first 1M: a fresh wheel grows its tables (and the OS maps their pages) as it goes. */
  insertCold: Cost;
  /** The next 1M, after cancelling the first: steady state of a worker's long-lived wheel. */
  insertWarm: Cost;
  cancel: Cost;
  pair: Cost;
  bytesPerTimer: number;
}

/**
 * Process CPU (all threads: GC helpers count) and wall time of `body`, per timer; and its page
 * faults, which on a paravirtualised guest cost 10-20 us each and so can dominate an insert.
 */
function measure(body: () => void): Cost {
  const f = process.resourceUsage().minorPageFault;
  const c = cpuMicros();
  const t = performance.now();
  body();
  const wallNs = ((performance.now() - t) * 1e6) / N;
  const cpuNs = ((cpuMicros() - c) * 1000) / N;
  return { wallNs, cpuNs, faults: ((process.resourceUsage().minorPageFault - f) * 1000) / N };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const wheelHandles = new Int32Array(N);
const nodeHandles: (NodeJS.Timeout | undefined)[] = Array.from({ length: N }, () => undefined);

function wheelOps(): OpsRound {
  const before = memory();
  const wheel = new TimerWheel();
  const insertCold = measure(() => {
    for (let i = 0; i < N; i++) wheelHandles[i] = wheel.schedule('bench', delays[i]!, noop);
  });
  const bytesPerTimer = (memory() - before) / N;
  const cancel = measure(() => {
    for (let i = 0; i < N; i++) wheel.cancel(wheelHandles[i]!);
  });
  const insertWarm = measure(() => {
    for (let i = 0; i < N; i++) wheelHandles[i] = wheel.schedule('bench', delays[i]!, noop);
  });
  for (let i = 0; i < N; i++) wheel.cancel(wheelHandles[i]!);
  const pair = measure(() => {
    for (let i = 0; i < N; i++) wheel.cancel(wheel.schedule('bench', delays[i]!, noop));
  });
  wheel.close();
  return { insertCold, insertWarm, cancel, pair, bytesPerTimer };
}

function nodeOps(): OpsRound {
  const before = memory();
  const insertCold = measure(() => {
    for (let i = 0; i < N; i++) nodeHandles[i] = setTimeout(noop, delays[i]!);
  });
  const bytesPerTimer = (memory() - before) / N;
  const cancel = measure(() => {
    for (let i = 0; i < N; i++) clearTimeout(nodeHandles[i]);
  });
  const insertWarm = measure(() => {
    for (let i = 0; i < N; i++) nodeHandles[i] = setTimeout(noop, delays[i]!);
  });
  for (let i = 0; i < N; i++) clearTimeout(nodeHandles[i]);
  nodeHandles.fill(undefined);
  const pair = measure(() => {
    for (let i = 0; i < N; i++) clearTimeout(setTimeout(noop, delays[i]!));
  });
  return { insertCold, insertWarm, cancel, pair, bytesPerTimer };
}

// --- CPU per fired timer ---------------------------------------------------------------------

let fired = 0;
let fireDone: () => void = noop;
// The last firing signals through a stable function: calling each round's new resolve function
// from the callback would deoptimise whichever timer loop had inlined it (both sides alike).
function finishRound(): void {
  fireDone();
}
function countFire(): void {
  if (++fired === FIRE_N) queueMicrotask(finishRound);
}

/** One long-lived wheel for every firing round, as a worker has: its tables are already grown. */
let fireWheel: TimerWheel | undefined;

/**
 * CPU per fired timer, from the end of scheduling to the last firing: process-wide (GC helper
 * threads count) and main thread only. The previous round's garbage is collected and swept
 * first, so each side pays for its own.
 */
async function fireRound(useWheel: boolean, delays: Float64Array): Promise<{ process: number; thread: number }> {
  gc!();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const keepAlive = setInterval(noop, 1000); // the wheel's driver is unref'd
  fired = 0;
  const done = new Promise<void>((resolve) => (fireDone = resolve));
  if (useWheel) {
    fireWheel ??= new TimerWheel();
    for (let i = 0; i < FIRE_N; i++) fireWheel.schedule('fire', delays[i]!, countFire);
  } else {
    for (let i = 0; i < FIRE_N; i++) setTimeout(countFire, delays[i]!);
  }
  const c0 = cpuMicros();
  const t0 = threadCpuMicros();
  await done;
  const c1 = cpuMicros();
  const t1 = threadCpuMicros();
  clearInterval(keepAlive);
  return { process: ((c1 - c0) * 1000) / FIRE_N, thread: ((t1 - t0) * 1000) / FIRE_N };
}

function threadCpuMicros(): number {
  const u = process.threadCpuUsage();
  return u.user + u.system;
}

// --- longest wake with 1M pending, real clock ------------------------------------------------

/** performance.now() + setTimeout, timing each wake of the wheel's driver (wall time). */
class TimedClock implements TimerClock {
  readonly wakeMs = new Float64Array(100_000);
  wakes = 0;
  #timeout: NodeJS.Timeout | undefined = undefined;
  #fire: () => void = noop;
  readonly #timed = (): void => {
    const t = performance.now();
    this.#fire();
    if (this.wakes < this.wakeMs.length) this.wakeMs[this.wakes++] = performance.now() - t;
  };

  now(): number {
    return performance.now();
  }

  arm(fire: () => void, delayMs: number): void {
    this.#fire = fire;
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    this.#timeout = setTimeout(this.#timed, Math.max(1, Math.ceil(delayMs)));
    this.#timeout.unref();
  }

  disarm(): void {
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    this.#timeout = undefined;
  }
}

const dues = new Float64Array(N);
let early = 0;
let realFired = 0;
function checkDue(i: number): void {
  realFired++;
  if (performance.now() < dues[i]!) early++;
}

interface WakeFigures {
  maxWakeMs: number;
  p999Ms: number;
  wakes: number;
  fired: number;
  early: number;
}

async function realPending(): Promise<WakeFigures> {
  gc!();
  const clock = new TimedClock();
  const wheel = new TimerWheel({ clock });
  early = 0;
  realFired = 0;
  for (let i = 0; i < N; i++) {
    dues[i] = performance.now() + delays[i]!; // the caller's view: due no sooner than call + delay
    wheel.schedule('pending', delays[i]!, checkDue, i);
  }
  await new Promise((resolve) => setTimeout(resolve, REAL_WINDOW_MS));
  wheel.close();
  const sorted = clock.wakeMs.slice(0, clock.wakes).sort();
  return {
    maxWakeMs: sorted[clock.wakes - 1] ?? 0,
    p999Ms: sorted[Math.floor(clock.wakes * 0.999)] ?? 0,
    wakes: clock.wakes,
    fired: realFired,
    early,
  };
}

async function nodeEarly(): Promise<{ fired: number; early: number }> {
  gc!();
  early = 0;
  realFired = 0;
  const handles: NodeJS.Timeout[] = [];
  for (let i = 0; i < FIRE_N; i++) {
    dues[i] = performance.now() + shortDelays[i]!;
    handles.push(setTimeout(checkDue, shortDelays[i]!, i));
  }
  await new Promise((resolve) => setTimeout(resolve, SHORT_MAX_DELAY + 300));
  for (const h of handles) clearTimeout(h);
  return { fired: realFired, early };
}

// --- simulated sweep: 1M timers, a perfect clock walking all 60 s ----------------------------

class StepClock implements TimerClock {
  time = 1e7 + 0.375; // arbitrary, fractional start: due times are not whole ticks
  deadline = Infinity;
  fire: (() => void) | undefined = undefined;
  now(): number {
    return this.time;
  }
  arm(fire: () => void, delayMs: number): void {
    this.fire = fire;
    this.deadline = this.time + Math.max(0, delayMs);
  }
  disarm(): void {
    this.fire = undefined;
    this.deadline = Infinity;
  }
}

let sweepClock: StepClock | undefined;
let sweepEarly = 0;
let sweepFired = 0;
function sweepCheck(i: number): void {
  sweepFired++;
  if (sweepClock!.time < dues[i]!) sweepEarly++;
}

/**
 * One deterministic pass: 1M timers scheduled at one instant, then a perfect clock stepping from
 * wake to wake until all have fired. Returns the wall time of every wake, in order.
 */
function sweepOnce(): { wakeMs: Float64Array; fired: number; early: number } {
  gc!();
  const clock = new StepClock();
  sweepClock = clock;
  sweepEarly = 0;
  sweepFired = 0;
  const wheel = new TimerWheel({ clock });
  for (let i = 0; i < N; i++) {
    dues[i] = clock.time + delays[i]!;
    wheel.schedule('sweep', delays[i]!, sweepCheck, i);
  }
  gc!();
  const wakeMs = new Float64Array(80_000);
  let wakes = 0;
  while (clock.fire !== undefined) {
    const fire = clock.fire;
    clock.time = Math.max(clock.time, clock.deadline);
    clock.fire = undefined;
    clock.deadline = Infinity;
    const t = performance.now();
    fire();
    wakeMs[wakes++] = performance.now() - t;
  }
  return { wakeMs: wakeMs.subarray(0, wakes), fired: sweepFired, early: sweepEarly };
}

/**
 * The same sweep SWEEP_RUNS times. Wake k does the same work in every run, so the smallest of
 * its durations is its own cost; a larger one was the OS running another process meanwhile
 * (this box is shared). The longest of those minima is the longest tick.
 */
function sweep(): { maxWakeMs: number; maxRawMs: number; warmupMaxMs: number; p999Ms: number; wakes: number; fired: number; early: number } {
  // A first pass lets V8 optimise the wheel's code, as it is in a worker that has run a while.
  const warmup = sweepOnce();
  const runs = Array.from({ length: SWEEP_RUNS }, sweepOnce);
  const wakes = Math.min(...runs.map((r) => r.wakeMs.length));
  const own = new Float64Array(wakes);
  for (let k = 0; k < wakes; k++) own[k] = Math.min(...runs.map((r) => r.wakeMs[k]!));
  const sorted = Float64Array.from(own).sort();
  return {
    maxWakeMs: sorted[wakes - 1]!,
    maxRawMs: Math.max(...runs.map((r) => Math.max(...r.wakeMs))),
    warmupMaxMs: Math.max(...warmup.wakeMs),
    p999Ms: sorted[Math.floor(wakes * 0.999)]!,
    wakes,
    fired: runs.reduce((a, r) => a + r.fired, warmup.fired),
    early: runs.reduce((a, r) => a + r.early, warmup.early),
  };
}

// --- run -------------------------------------------------------------------------------------

interface FireFigures {
  wheel: number;
  node: number;
  /** Median of per-round ratios wheel / setTimeout: rounds alternate, so each pair saw similar load. */
  ratio: number;
  threadRatio: number;
}

async function fireRounds(delays: Float64Array, label: string): Promise<FireFigures> {
  const w: number[] = [];
  const n: number[] = [];
  const wt: number[] = [];
  const nt: number[] = [];
  await fireRound(true, delays); // warm-up pair, not counted: V8 optimises both paths first
  await fireRound(false, delays);
  for (let r = 0; r < FIRE_ROUNDS; r++) {
    const a = await fireRound(true, delays);
    const b = await fireRound(false, delays);
    w.push(a.process);
    n.push(b.process);
    wt.push(a.thread);
    nt.push(b.thread);
  }
  const ratios = w.map((x, r) => x / n[r]!);
  const threadRatios = wt.map((x, r) => x / nt[r]!);
  console.log(`fire, ${label}: wheel ${w.map((x) => x.toFixed(0)).join(' ')} vs setTimeout ${n.map((x) => x.toFixed(0)).join(' ')} ns CPU per fired timer; ratios ${ratios.map((x) => x.toFixed(2)).join(' ')}; main thread only ${threadRatios.map((x) => x.toFixed(2)).join(' ')}`);
  return { wheel: median(w), node: median(n), ratio: median(ratios), threadRatio: median(threadRatios) };
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${os.platform()} ${os.arch()}`);
  console.log(`${N.toLocaleString('en')} timers, delays uniform 1 ms..60 s; ${ROUNDS} alternating rounds each, medians\n`);

  const wheelRounds: OpsRound[] = [];
  const nodeRounds: OpsRound[] = [];
  const ns = (c: Cost): string => `${c.cpuNs.toFixed(0)}/${c.wallNs.toFixed(0)}`;
  for (let r = 0; r < ROUNDS; r++) {
    wheelRounds.push(wheelOps());
    nodeRounds.push(nodeOps());
    const w = wheelRounds[r]!;
    const n = nodeRounds[r]!;
    console.log(`round ${r + 1} (ns cpu/wall, wheel vs setTimeout): insert ${ns(w.insertCold)} vs ${ns(n.insertCold)}, again ${ns(w.insertWarm)} vs ${ns(n.insertWarm)}, cancel ${ns(w.cancel)} vs ${ns(n.cancel)}, pair ${ns(w.pair)} vs ${ns(n.pair)}; ${w.bytesPerTimer.toFixed(1)} vs ${n.bytesPerTimer.toFixed(1)} B/timer; page faults per 1k inserts: fresh ${w.insertCold.faults.toFixed(1)} vs ${n.insertCold.faults.toFixed(1)}, warm ${w.insertWarm.faults.toFixed(1)} vs ${n.insertWarm.faults.toFixed(1)}`);
  }
  const short = await fireRounds(shortDelays, `delays 1..${SHORT_MAX_DELAY} ms`);
  const medium = await fireRounds(mediumDelays, `delays ${MEDIUM_MIN_DELAY}..${MEDIUM_MAX_DELAY} ms`);
  fireWheel?.close();
  const real = await realPending();
  console.log(`real clock, 1M pending for ${REAL_WINDOW_MS} ms: ${real.fired} fired in ${real.wakes} wakes; longest wake ${real.maxWakeMs.toFixed(2)} ms wall (p99.9 ${real.p999Ms.toFixed(3)} ms); ${real.early} early`);
  const nodeReal = await nodeEarly();
  console.log(`setTimeout, ${FIRE_N} short timers: ${nodeReal.fired} fired, ${nodeReal.early} early against performance.now()`);
  const sim = sweep();
  console.log(`simulated sweep of 60 s, 1M timers, warm-up + ${SWEEP_RUNS} runs: ${sim.fired} fired, ${sim.wakes} wakes per run; longest wake ${sim.maxWakeMs.toFixed(2)} ms (per-wake minimum over runs; raw maximum ${sim.maxRawMs.toFixed(2)} ms, warm-up pass ${sim.warmupMaxMs.toFixed(2)} ms), p99.9 ${sim.p999Ms.toFixed(3)} ms; ${sim.early} early\n`);

  type Key = 'insertCold' | 'insertWarm' | 'cancel' | 'pair';
  const cpu = (rounds: OpsRound[], key: Key): number => median(rounds.map((x) => x[key].cpuNs));
  const wall = (rounds: OpsRound[], key: Key): number => median(rounds.map((x) => x[key].wallNs));
  const bytesW = median(wheelRounds.map((x) => x.bytesPerTimer));
  const bytesN = median(nodeRounds.map((x) => x.bytesPerTimer));

  type Row = [string, number, number | undefined, string, boolean];
  const labels: Record<Key, string> = {
    insertCold: 'insert, fresh wheel, CPU ns',
    insertWarm: 'insert, warm wheel, CPU ns',
    cancel: 'cancel, CPU ns',
    pair: 'schedule+cancel pair, CPU ns',
  };
  const speedup = (key: Key, goal: number): Row => {
    const w = cpu(wheelRounds, key);
    const n = cpu(nodeRounds, key);
    return [labels[key], w, n, `>= ${goal}x faster`, n / w >= goal];
  };
  const rows: Row[] = [
    speedup('insertCold', 4),
    speedup('insertWarm', 4),
    speedup('cancel', 2),
    speedup('pair', 3),
    ['bytes per live timer', bytesW, bytesN, '<= 64 B', bytesW <= 64],
    [`CPU per fired timer, ${SHORT_MAX_DELAY} ms delays, ns`, short.wheel, short.node, '<= 0.6x setTimeout', short.ratio <= 0.6],
    [`CPU per fired timer, ${MEDIUM_MIN_DELAY}-${MEDIUM_MAX_DELAY} ms, ns`, medium.wheel, medium.node, '<= 0.6x setTimeout', medium.ratio <= 0.6],
    ['longest tick, 1M pending, ms', sim.maxWakeMs, undefined, '<= 5 ms', sim.maxWakeMs <= 5],
    ['early firings', real.early + sim.early, nodeReal.early, '0', real.early + sim.early === 0],
  ];
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  console.log(line(['figure', 'wheel', 'setTimeout', 'setTimeout / wheel', 'goal', 'result']));
  console.log(line(['---', '---:', '---:', '---:', '---', '---']));
  for (const [name, w, n, goal, ok] of rows) {
    const ratio = n === undefined || w === 0 ? '-' : `${(n / w).toFixed(2)}x`;
    // For CPU per fired timer the goal is judged on the median of per-round ratios (printed below).
    console.log(line([name, fmt(w), n === undefined ? '-' : fmt(n), ratio, goal, ok ? 'PASS' : 'MISS']));
  }
  console.log(`\nCPU per fired timer, wheel / setTimeout (median of per-round ratios): short ${short.ratio.toFixed(2)} (main thread ${short.threadRatio.toFixed(2)}), medium ${medium.ratio.toFixed(2)} (main thread ${medium.threadRatio.toFixed(2)})`);
  console.log('\nwall-clock medians (ns/timer; these also count time the OS gave to other processes):');
  console.log(line(['figure', 'wheel', 'setTimeout', 'setTimeout / wheel']));
  console.log(line(['---', '---:', '---:', '---:']));
  for (const key of ['insertCold', 'insertWarm', 'cancel', 'pair'] as const) {
    const w = wall(wheelRounds, key);
    const n = wall(nodeRounds, key);
    console.log(line([labels[key].replace('CPU ', 'wall '), fmt(w), fmt(n), `${(n / w).toFixed(2)}x`]));
  }
  console.log(line(['longest wake, real clock, 1M pending, ms', fmt(real.maxWakeMs), '-', '-']));
  console.log(`\nload average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; total run time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
