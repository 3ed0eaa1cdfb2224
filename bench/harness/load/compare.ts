// Runs on the bench orchestrator. Loads several already-running targets in alternation:
// a warm-up run each, then `rounds` rounds in which every target gets one measured run, the
// starting target rotating each round so no target always runs first (or right after a
// particular neighbour). Only one target is under load at any moment.
import { treeCpuMs } from './cpu.ts';
import type { LoadDriver, LoadResult, LoadSpec } from './load.ts';
import { probe } from '../net.ts';
import { fmtInt, fmtMs, summarize, type RunResult, type Summary } from '../report/report.ts';

export interface Target {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** Root pid of the target's process tree, to measure its CPU time per request. */
  pid?: number;
}

export interface RunSettings {
  driver: LoadDriver;
  durationS: number;
  warmupS: number;
  rounds: number;
  connections: number;
  log: (line: string) => void;
}

export type Outcome = { name: string; summary: Summary } | { name: string; skipped: string };

/** A target that does not answer 200 to one GET is skipped with the reason, never loaded. */
async function check(target: Target): Promise<string | null> {
  try {
    const { status, body } = await probe(target.url, target.headers);
    return status === 200 ? null : `probe answered ${status}: ${body.replace(/\s+/g, ' ').slice(0, 160)}`;
  } catch (err) {
    return `probe failed: ${(err as Error).message}`;
  }
}

function spec(target: Target, settings: RunSettings, durationS: number): LoadSpec {
  return { url: target.url, durationS, connections: settings.connections, headers: target.headers ?? {} };
}

/** Runs `run` and adds the CPU time the process tree of `pid` used meanwhile. */
export async function withCpu(pid: number | undefined, durationS: number, run: () => Promise<LoadResult>): Promise<RunResult> {
  const before = pid === undefined ? null : treeCpuMs(pid);
  const result = await run();
  const after = pid === undefined ? null : treeCpuMs(pid);
  return { ...result, cpuMs: before === null || after === null ? null : after - before, durationS };
}

export async function compare(targets: readonly Target[], settings: RunSettings): Promise<Outcome[]> {
  const ready: Target[] = [];
  const outcomes = new Map<string, Outcome>();
  for (const target of targets) {
    const problem = await check(target);
    if (problem === null) ready.push(target);
    else outcomes.set(target.name, { name: target.name, skipped: problem });
  }
  if (settings.warmupS > 0) {
    for (const target of ready) await settings.driver.run(spec(target, settings, settings.warmupS));
  }
  const results = new Map<string, RunResult[]>(ready.map((t) => [t.name, []]));
  for (let round = 0; round < settings.rounds; round += 1) {
    for (let i = 0; i < ready.length; i += 1) {
      const target = ready[(round + i) % ready.length];
      if (target === undefined) continue;
      const result = await withCpu(target.pid, settings.durationS, () => settings.driver.run(spec(target, settings, settings.durationS)));
      results.get(target.name)?.push(result);
      const errors = result.non2xx + result.socketErrors;
      settings.log(
        `  round ${round + 1}/${settings.rounds}  ${target.name.padEnd(27)} ${fmtInt(result.rps).padStart(8)} req/s` +
          `  p50 ${fmtMs(result.p50Ms)} ms  p99 ${fmtMs(result.p99Ms)} ms` +
          (result.cpuMs === null || result.cpuMs === undefined ? '' : `  ${((result.cpuMs * 1000) / result.requests).toFixed(1)} CPU µs/req`) +
          (errors > 0 ? `  errors ${errors}` : ''),
      );
    }
  }
  for (const [name, list] of results) outcomes.set(name, { name, summary: summarize(list) });
  // Keep the caller's order.
  return targets.map((t) => outcomes.get(t.name)).filter((o): o is Outcome => o !== undefined);
}
