// Runs on the bench orchestrator. Reads V8's `--trace-gc` lines from a Sluice process's output
// and sums the GC pauses of each isolate (each thread of Sluice has its own: the primary, every
// worker, a pool thread) over a window, so a bench can say which thread's collections grew.
import { createInterface } from 'node:readline';
import type { Child } from '../proc.ts';

/** `[pid:0xISOLATE]   1234 ms: Scavenge 5.2 (5.8) -> 4.7 (6.8) MB, pooled: 0 MB, 6.39 / 0.00 ms ...` */
const LINE = /^\[\d+:(0x[0-9a-f]+)(?::\d+)?\]\s+\d+ ms: (Scavenge|Minor Mark-Compact|Mark-Compact(?: \(reduce\))?)\b.*?, ([\d.]+) \/ [\d.]+ ms.*current mu = [\d.]+\) ([^;]*)/;

export interface IsolateGc {
  scavenges: number[];
  /** Full (mark-compact) pauses: the atomic part on the isolate's own thread. */
  fulls: number[];
  /** How many full collections V8 gave each reason for ("external memory pressure", ...). */
  reasons: Map<string, number>;
}

export type GcWindow = Map<string, IsolateGc>;

/** Starts collecting; `take()` returns the pauses since the last take, by isolate address. */
export function gcTrace(child: Child): { take(): GcWindow } {
  let window: GcWindow = new Map();
  const onLine = (line: string): void => {
    const m = LINE.exec(line);
    if (m === null) return;
    let gc = window.get(m[1]!);
    if (gc === undefined) window.set(m[1]!, (gc = { scavenges: [], fulls: [], reasons: new Map() }));
    if (m[2] === 'Scavenge' || m[2] === 'Minor Mark-Compact') gc.scavenges.push(Number(m[3]));
    else {
      gc.fulls.push(Number(m[3]));
      gc.reasons.set(m[4]!, (gc.reasons.get(m[4]!) ?? 0) + 1);
    }
  };
  createInterface({ input: child.proc.stdout! }).on('line', onLine);
  return {
    take() {
      const taken = window;
      window = new Map();
      return taken;
    },
  };
}

/** The isolate with the most scavenges in `window` (the worker, in a window where it is loaded alone). */
export function busiestIsolate(window: GcWindow): string | null {
  let best: string | null = null;
  let n = -1;
  for (const [isolate, gc] of window) if (gc.scavenges.length > n) [best, n] = [isolate, gc.scavenges.length];
  return best;
}

export function summarizeGc(gc: IsolateGc | undefined): string {
  if (gc === undefined) return '—';
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);
  const reasons = [...gc.reasons].map(([reason, n]) => `${n} ${reason}`).join(', ');
  return `${gc.scavenges.length} sc, max ${max(gc.scavenges).toFixed(1)}, Σ ${sum(gc.scavenges).toFixed(0)} ms; ${gc.fulls.length} full, max ${max(gc.fulls).toFixed(1)}, Σ ${sum(gc.fulls).toFixed(0)} ms${reasons === '' ? '' : ` (${reasons})`}`;
}
