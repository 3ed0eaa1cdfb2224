// What one config change costs the gateway's process, thread by thread (issue 18): Sluice with the
// 10,000-route table (harness/targets/route-table.ts), 2 workers, no proxy load, takes one-route
// changes by POST /config?wait=1 at 10 per second (Kong's 201 read whole); per change, the CPU
// each kind of thread used (from /proc/<pid>/task) and the garbage collections V8 logged
// (--trace-gc), per isolate. The threads:
//   primary        the main thread: Admin API, body in, delta out to the workers, the 201 out;
//   config thread  the piscina thread that parses, validates, hashes and diffs (--background-nice);
//   V8 helpers     V8's platform threads (V8Worker, nice 0): parallel and concurrent GC work of
//                  every isolate in the process, whatever the nice value of the isolate's thread;
//   workers        the proxy workers (and the idle spare).
// Run: node bench/config-change-cost.ts [--changes N] [--rounds N] [--baseline DIR]
// --baseline DIR also runs the Sluice of another checkout; blocks of changes alternate between the
// two (both started, only one posted to at a time), so "before" and "after" come from one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeBackground } from './harness/report/machine.ts';
import { threadDelta, threadsOf, type ThreadCpu } from './harness/report/threads.ts';
import { installCleanupHandlers, stop, stopAll } from './harness/proc.ts';
import { median, table } from './harness/report/report.ts';
import { routeTableConfig } from './harness/targets/route-table.ts';
import { startSluice, type Sluice } from './harness/targets/sluice.ts';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '50' }, rounds: { type: 'string', default: '4' }, baseline: { type: 'string' } } });
const CHANGES = Number(values.changes);
const ROUNDS = Number(values.rounds);
const ROUTES = 10_000;
const PERIOD_MS = 100;

interface Variant {
  name: string;
  start: typeof startSluice;
  sluice?: Sluice;
  /** GC lines while this variant's changes ran. */
  gc: string[];
  recording: boolean;
  cpu: Map<string, number>;
  postMs: number[];
  changes: number;
}

const variants: Variant[] = [{ name: 'this tree', start: startSluice, gc: [], recording: false, cpu: new Map(), postMs: [], changes: 0 }];
if (values.baseline !== undefined) {
  // The baseline's own harness, so its Sluice starts from its own tree (REPO_ROOT is per harness).
  const dir = resolve(values.baseline);
  const harness = (await import(pathToFileURL(join(dir, 'bench', 'harness', 'targets', 'sluice.ts')).href)) as { startSluice: typeof startSluice };
  variants.unshift({ name: `baseline ${values.baseline}`, start: harness.startSluice, gc: [], recording: false, cpu: new Map(), postMs: [], changes: 0 });
}

/** Which kind of thread: by the name Node gives it and its nice value. */
function kindOf(thread: ThreadCpu): string {
  if (thread.comm === 'MainThread' || thread.comm === 'node') return 'primary';
  if (thread.comm === 'V8Worker') return `V8 helpers (nice ${thread.nice})`;
  if (thread.comm === 'WorkerThread') return thread.nice > 0 ? `config thread (nice ${thread.nice})` : 'workers';
  return 'other';
}

async function post(sluice: Sluice, text: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${sluice.adminUrl}/config?wait=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`POST /config answered ${res.status}`);
  return performance.now() - t0;
}

const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-change-cost-'));
installCleanupHandlers(() => rmSync(tmpDir, { recursive: true, force: true }));
const out = (line: string): void => void process.stdout.write(`${line}\n`);
try {
  out(`# One-route change cost by thread, ${ROUTES.toLocaleString('en')} routes, 2 workers, no load`);
  out(`command: node bench/config-change-cost.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  out(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}; ${new Date().toISOString()}`);
  out(await describeBackground());
  for (const v of variants) {
    v.sluice = await v.start({ name: `sluice-${variants.indexOf(v)}`, workers: 2, config: routeTableConfig(ROUTES, 0), tmpDir, nodeArgs: ['--trace-gc'], readyTimeoutMs: 300_000 });
    v.sluice.child.proc.stdout?.on('data', (chunk: Buffer) => {
      if (v.recording) for (const line of chunk.toString().split('\n')) if (/ms: (Mark-Compact|Scavenge|Minor)/.test(line)) v.gc.push(line);
    });
  }
  // Bodies serialized before the clock starts: the client's JSON work is no part of the cost.
  let n = 0;
  const body = (): string => JSON.stringify(routeTableConfig(ROUTES, ++n));
  // Warm-up: JIT, the 201 body's first build, the config thread's cache.
  for (const v of variants) for (let i = 0; i < 10; i++) await post(v.sluice!, body());
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      const sluice = v.sluice!;
      const bodies = Array.from({ length: CHANGES }, body);
      await sleep(500);
      v.recording = true;
      const before = threadsOf(sluice.child.pid);
      let next = performance.now();
      for (const text of bodies) {
        v.postMs.push(await post(sluice, text));
        next += PERIOD_MS;
        await sleep(Math.max(0, next - performance.now()));
      }
      const used = threadDelta(before, threadsOf(sluice.child.pid));
      v.recording = false;
      v.changes += CHANGES;
      for (const thread of used.values()) v.cpu.set(kindOf(thread), (v.cpu.get(kindOf(thread)) ?? 0) + thread.ms);
    }
  }
  const kinds = [...new Set(variants.flatMap((v) => [...v.cpu.keys()]))].sort();
  out(`\n${ROUNDS} rounds × ${CHANGES} changes per variant, at 10/s, alternated; CPU ms per change (/proc, 10 ms ticks):`);
  out(
    table(
      ['', ...variants.map((v) => v.name)],
      [
        ...kinds.map((k) => [k, ...variants.map((v) => ((v.cpu.get(k) ?? 0) / v.changes).toFixed(2))]),
        ['all threads', ...variants.map((v) => ([...v.cpu.values()].reduce((a, b) => a + b, 0) / v.changes).toFixed(2))],
        ['POST ?wait=1 median ms', ...variants.map((v) => median(v.postMs).toFixed(1))],
      ],
    ),
  );
  out('\nGC per 100 changes, by isolate (V8 address; heap after its last Mark-Compact, MB):');
  for (const v of variants) {
    const byIsolate = new Map<string, { mc: number; scavenge: number; pauseMs: number; heap: string }>();
    for (const line of v.gc) {
      const isolate = /\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1] ?? '?';
      const entry = byIsolate.get(isolate) ?? { mc: 0, scavenge: 0, pauseMs: 0, heap: '-' };
      const pause = Number(/MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \//.exec(line)?.[1] ?? 0);
      if (line.includes('Mark-Compact')) {
        entry.mc += 1;
        entry.heap = /-> ([\d.]+) \(/.exec(line)?.[1] ?? '-';
      } else entry.scavenge += 1;
      entry.pauseMs += pause;
      byIsolate.set(isolate, entry);
    }
    const per = (x: number): string => ((x * 100) / v.changes).toFixed(1);
    out(`${v.name}:`);
    out(table(['isolate', 'heap MB', 'Mark-Compact', 'Scavenge', 'pause ms'], [...byIsolate].sort((a, b) => b[1].mc - a[1].mc).map(([isolate, e]) => [isolate, e.heap, per(e.mc), per(e.scavenge), per(e.pauseMs)])));
  }
} finally {
  // The baseline's Sluice was started by its own harness (its own registry of children): by pid here.
  await Promise.all(variants.map((v) => (v.sluice === undefined ? undefined : stop(v.sluice.child))));
  await stopAll();
  rmSync(tmpDir, { recursive: true, force: true });
}
