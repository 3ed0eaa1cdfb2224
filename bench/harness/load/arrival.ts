// Runs on the bench orchestrator. Load at a constant arrival rate (open loop), the way an SLO is
// stated ("p99 at N req/s"): arrival-run.ts in its own process, so the orchestrator's own work
// never delays a request. Unlike a closed loop (wrk), a server that is slower only for a moment
// does not see fewer requests, and a p99 counts each request from when it was due.
import { join } from 'node:path';
import { start, stop, waitForLine } from '../proc.ts';
import type { LoadDriver } from './load.ts';

export interface ArrivalSpec {
  url: string;
  durationS: number;
  /** Requests per second, spread evenly over the window (sent on a 1 ms tick). */
  rate: number;
  /** Keep-alive connections opened up front; a request waits for a free one, its latency counting. */
  connections: number;
  /** Extra request headers (credentials), sent on every request. */
  headers?: Record<string, string>;
}

export interface ArrivalResult {
  rps: number;
  /** From when each request was due to its whole answer (what a client at this rate sees). */
  p50Ms: number;
  p99Ms: number;
  /** From when each request was written: without the wait for a free connection. */
  serviceP99Ms: number;
  requests: number;
  non2xx: number;
  /** Connection errors and answers not come 5 s after the window. */
  socketErrors: number;
  /** Most requests due at once with no free connection (0: the pool never ran dry). */
  maxWaiting: number;
}

export const arrivalDescribe = 'constant arrival rate (bench/harness/load/arrival-run.ts: open loop, 1 ms tick, latency from the due time)';

export async function runArrival(spec: ArrivalSpec): Promise<ArrivalResult> {
  const child = start('arrival', process.execPath, [join(import.meta.dirname, 'arrival-run.ts'), JSON.stringify(spec)]);
  try {
    const line = await waitForLine(child, (l) => l.startsWith('{"rps"'), (spec.durationS + 20) * 1000);
    return JSON.parse(line) as ArrivalResult;
  } finally {
    await stop(child);
  }
}

/**
 * The generator as a LoadDriver for compare.ts: every target at `rate` req/s, so targets are
 * compared on CPU per request and latency at one load instead of on closed-loop throughput.
 */
export function arrivalDriver(rate: number, connections = 64): LoadDriver {
  return {
    name: 'arrival',
    describe: `${arrivalDescribe}, ${rate} req/s over ${connections} connections`,
    run: (spec) => runArrival({ url: spec.url, durationS: spec.durationS, rate, connections, headers: spec.headers ?? {} }),
  };
}
