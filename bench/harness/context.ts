// Runs on the bench orchestrator. What every scenario receives from bench/run.ts.
import type { RunSettings } from './load/compare.ts';
import type { Upstream } from './targets/upstream.ts';

export interface BenchContext {
  settings: RunSettings;
  upstream: Upstream;
  /** http://127.0.0.1:<first upstream port> */
  upstreamUrl: string;
  /** nginx version when installed, else null (nginx targets are then skipped). */
  nginx: string | null;
  tmpDir: string;
  cores: number;
  /** Node flags added to every Sluice primary (e.g. --cpu-prof ...); empty normally. */
  sluiceNodeArgs: string[];
  /** Fixed request rate for the churn scenario; null = half of the measured capacity. */
  churnRate: number | null;
  churnWorkers: number;
  /** Churn: also run the phase against a `--rebuild-all` Sluice (Kong's way). */
  churnRebuildAll: boolean;
  /** Churn: nice values of the Admin API client's process (harness/load/churner.ts), a phase pair each. */
  churnClientNices: number[];
  out: (line: string) => void;
}
