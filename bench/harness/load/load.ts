// Runs on the bench orchestrator. One interface over the two load generators:
// wrk (preferred when installed: C, one thread, far less CPU per request than a Node client) and
// autocannon (always available; run in its own process, see autocannon-run.ts).
// Only autocannon can hold a fixed request rate (`rate`); wrk is closed-loop.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { start, stop, waitForLine, type Child } from '../proc.ts';

export interface LoadSpec {
  url: string;
  durationS: number;
  connections: number;
  headers?: Record<string, string>;
  /** Fixed overall request rate (req/s). autocannon only; wrk ignores it. */
  rate?: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  /** Connect/read/write errors and timeouts. */
  socketErrors: number;
}

export interface LoadDriver {
  name: 'wrk' | 'autocannon' | 'arrival';
  describe: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

export function wrkVersion(): string | null {
  // `wrk -v` prints its banner ("wrk 4.1.0 [epoll] ...") and exits 1.
  const { stdout, error } = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (error !== undefined || !stdout.startsWith('wrk')) return null;
  return stdout.split(/\s+/)[1] ?? 'unknown';
}

/** Collects a child's whole output and its exit; kills it if it overruns `timeoutMs`. */
async function collect(child: Child, timeoutMs: number): Promise<string> {
  const lines: string[] = [];
  child.proc.stdout?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const timer = setTimeout(() => void stop(child), timeoutMs);
  const status = await child.exited;
  clearTimeout(timer);
  const out = lines.join('');
  if (status !== 0) throw new Error(`${child.name} exited (${status}): ${out.slice(-500)}`);
  return out;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function wrkLatencyMs(out: string, percentile: string): number {
  const match = new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
  return match?.[1] !== undefined && match[2] !== undefined ? Number(match[1]) * (UNIT_MS[match[2]] ?? NaN) : NaN;
}

export function parseWrk(out: string): LoadResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock === null ? 0 : sock.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return { rps, p50Ms: wrkLatencyMs(out, '50'), p99Ms: wrkLatencyMs(out, '99'), requests, non2xx, socketErrors };
}

export const wrkDriver: LoadDriver = {
  name: 'wrk',
  describe: `wrk ${wrkVersion() ?? '?'} (1 thread)`,
  async run(spec) {
    const args = ['-t1', `-c${spec.connections}`, `-d${spec.durationS}s`, '--latency', '--timeout', '5s'];
    for (const [name, value] of Object.entries(spec.headers ?? {})) args.push('-H', `${name}: ${value}`);
    args.push(spec.url);
    const out = await collect(start('wrk', 'wrk', args), (spec.durationS + 15) * 1000);
    return parseWrk(out);
  },
};

function autocannonVersion(): string {
  const pkg = join(import.meta.dirname, '..', '..', '..', 'node_modules', 'autocannon', 'package.json');
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

export const autocannonDriver: LoadDriver = {
  name: 'autocannon',
  describe: `autocannon ${autocannonVersion()} (1 process, programmatic API)`,
  async run(spec) {
    const script = join(import.meta.dirname, 'autocannon-run.ts');
    const child = start('autocannon', process.execPath, [script, JSON.stringify(spec)]);
    const timer = setTimeout(() => void stop(child), (spec.durationS + 15) * 1000);
    try {
      const line = await waitForLine(child, (l) => l.startsWith('{"rps"'), (spec.durationS + 20) * 1000);
      return JSON.parse(line) as LoadResult;
    } finally {
      clearTimeout(timer);
      await stop(child);
    }
  },
};

export function pickDriver(prefer: 'auto' | 'wrk' | 'autocannon'): LoadDriver {
  if (prefer === 'autocannon') return autocannonDriver;
  if (wrkVersion() !== null) return wrkDriver;
  if (prefer === 'wrk') throw new Error('wrk not installed: apt-get install wrk (or use --driver autocannon)');
  return autocannonDriver;
}
