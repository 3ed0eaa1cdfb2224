// Runs on the bench orchestrator. Aggregation over rounds and plain-text tables.
import type { LoadResult } from '../load/load.ts';

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** One measured run, with the CPU time the target's process tree used during it when known. */
export interface RunResult extends LoadResult {
  cpuMs?: number | null;
  durationS?: number;
}

/** What a target did over all measured rounds: medians, spread and summed errors. */
export interface Summary {
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  rounds: number;
  /** Median CPU time of the target per request (µs), NaN when not measured. */
  cpuUsPerReq: number;
  /** Median cores the target kept busy during a run, NaN when not measured. */
  cores: number;
  /** Per round, in round order, for ratios paired by round. */
  byRound: { rps: number; p99Ms: number; cpuUsPerReq: number }[];
}

export function summarize(results: readonly RunResult[]): Summary {
  const rps = results.map((r) => r.rps);
  const cpu = (f: (cpuMs: number, r: RunResult) => number): number =>
    median(results.map((r) => (r.cpuMs === null || r.cpuMs === undefined ? NaN : f(r.cpuMs, r))));
  return {
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
    errors: results.reduce((sum, r) => sum + r.non2xx + r.socketErrors, 0),
    rounds: results.length,
    cpuUsPerReq: cpu((ms, r) => (ms * 1000) / r.requests),
    cores: cpu((ms, r) => (r.durationS === undefined ? NaN : ms / (r.durationS * 1000))),
    byRound: results.map((r) => ({
      rps: r.rps,
      p99Ms: r.p99Ms,
      cpuUsPerReq: r.cpuMs === null || r.cpuMs === undefined ? NaN : (r.cpuMs * 1000) / r.requests,
    })),
  };
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

export function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n < 10 ? n.toFixed(2) : n.toFixed(1);
}

/**
 * Ratio of two targets' metric, paired by round: the median of a[i]/b[i]. Targets of one round run
 * back to back, so a burst of background load hits both sides of a pair far more often than it
 * hits two medians taken minutes apart.
 */
export function pairedRatio(a: Summary, b: Summary, metric: 'rps' | 'p99Ms' | 'cpuUsPerReq'): number {
  const n = Math.min(a.byRound.length, b.byRound.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const x = a.byRound[i]?.[metric] ?? NaN;
    const y = b.byRound[i]?.[metric] ?? NaN;
    if (y > 0) ratios.push(x / y);
  }
  return median(ratios);
}

export function fmtX(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
}

/** Left-aligns the first column, right-aligns the others; returns the lines. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function summaryTable(entries: readonly { name: string; summary: Summary }[]): string {
  return table(
    ['target', 'req/s (median)', 'min..max', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req', 'cores used'],
    entries.map(({ name, summary: s }) => [
      name,
      fmtInt(s.rps),
      `${fmtInt(s.rpsMin)}..${fmtInt(s.rpsMax)}`,
      fmtMs(s.p50Ms),
      fmtMs(s.p99Ms),
      fmtInt(s.errors),
      Number.isFinite(s.cpuUsPerReq) ? s.cpuUsPerReq.toFixed(1) : 'n/a',
      Number.isFinite(s.cores) ? s.cores.toFixed(2) : 'n/a',
    ]),
  );
}

/** An error message cut to a few lines, for "skipped: ..." lines (child log tails can be long). */
export function brief(err: unknown, maxLines = 8): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => (l.length > 200 ? `${l.slice(0, 200)}…` : l));
  return lines.length <= maxLines ? lines.join('\n') : [...lines.slice(0, maxLines), `  | … ${lines.length - maxLines} more line(s)`].join('\n');
}
