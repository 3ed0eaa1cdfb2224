// Memory of the upstream connector (issue 14): RSS per idle upstream connection, per in-flight
// proxied request, and whether RSS stays flat over a long run of keep-alive churn (the upstream
// closes each connection every few requests, so the pools keep opening and dropping sockets).
//
// One Sluice worker (plus its spare thread), one process: RSS is the process's (/proc/PID/status VmRSS),
// which also holds the primary and the piscina thread; the per-connection and per-request
// figures are differences between samples, so what does not change cancels out. The upstream
// (node:http) and the load (undici, the gateway's own HTTP client) run in this process.
// Run: node bench/upstream-memory.ts [--inflight 400] [--hold-ms 3000] [--churn-s 600]
//      [--every 3] [--concurrency 16] [--sample-s 30]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { describeBackground } from './harness/report/machine.ts';
import { installCleanupHandlers, stop, stopAll } from './harness/proc.ts';
import { startSluice } from './harness/targets/sluice.ts';

const { values } = parseArgs({
  options: {
    inflight: { type: 'string', default: '400' },
    'hold-ms': { type: 'string', default: '3000' },
    'churn-s': { type: 'string', default: '600' },
    every: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    'sample-s': { type: 'string', default: '30' },
  },
});
const INFLIGHT = Number(values.inflight);
const HOLD_MS = Number(values['hold-ms']);
const CHURN_S = Number(values['churn-s']);
const EVERY = Number(values.every);
const CONCURRENCY = Number(values.concurrency);
const SAMPLE_S = Number(values['sample-s']);
const MiB = 1024 * 1024;

function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** The median of a few samples a moment apart: one sample can catch a collection mid-way. */
async function steadyRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rss(pid));
    await delay(200);
  }
  samples.sort((a, b) => a - b);
  return samples[2]!;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function status(adminUrl: string): Promise<{ upstream: { connects: number; reuses: number; idle: number }; heap_used: number }> {
  const res = await request(`${adminUrl}/workers`);
  const body = (await res.body.json()) as { data: Array<{ status: { upstream: { connects: number; reuses: number; idle: number }; heap_used: number } }> };
  return body.data[0]!.status;
}

async function main(): Promise<void> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`# upstream connector memory — ${new Date().toISOString()}`);
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  out(await describeBackground());

  // Holds each request HOLD_MS before answering: the in-flight and idle-connection measures.
  const hold = createServer((_req, res) => void setTimeout(() => res.end('held'), HOLD_MS));
  hold.keepAliveTimeout = 120_000;
  // Closes every connection after EVERY requests (Connection: close): keep-alive churn.
  const churn = createServer((_req, res) => res.end('churn'));
  churn.maxRequestsPerSocket = EVERY;
  const [holdPort, churnPort] = [await listen(hold), await listen(churn)];

  const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-upstream-memory-'));
  installCleanupHandlers(() => rmSync(tmpDir, { recursive: true, force: true }));
  const sluice = await startSluice({
    name: 'sluice-upstream-memory',
    workers: 1,
    tmpDir,
    config: {
      _format_version: '3.0',
      services: [
        { name: 'hold', url: `http://127.0.0.1:${holdPort}`, routes: [{ name: 'hold', paths: ['/hold'] }] },
        { name: 'churn', url: `http://127.0.0.1:${churnPort}`, routes: [{ name: 'churn', paths: ['/churn'] }] },
      ],
    },
  });
  const pid = sluice.child.pid;

  // Warm-up: JIT, pools, first collections.
  const client = new Agent({ connections: Math.max(INFLIGHT, CONCURRENCY) + 8, keepAliveTimeout: 120_000 });
  const get = async (path: string): Promise<void> => {
    const res = await request(`${sluice.proxyUrl}${path}`, { dispatcher: client });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode}`);
  };
  for (let i = 0; i < 2000; i++) await get('/churn');
  const base = await steadyRss(pid);
  const baseStatus = await status(sluice.adminUrl);

  // INFLIGHT requests held at once: one client connection, one upstream connection and one
  // exchange each.
  const held = Array.from({ length: INFLIGHT }, () => get('/hold'));
  await delay(HOLD_MS / 2);
  const during = await steadyRss(pid);
  await Promise.all(held);
  // The client connections go; the upstream connections stay idle in the pool.
  await client.close();
  await delay(1000);
  const idleStatus = await status(sluice.adminUrl);
  const idle = await steadyRss(pid);
  const idleConns = idleStatus.upstream.idle - baseStatus.upstream.idle;
  out('');
  out('| measure | RSS (MiB) | per item (KiB) | worker heap used (MiB) |');
  out('|---|---|---|---|');
  out(`| after warm-up (2,000 requests) | ${(base / MiB).toFixed(1)} | | ${(baseStatus.heap_used / MiB).toFixed(1)} |`);
  out(`| ${INFLIGHT} proxied requests in flight | ${(during / MiB).toFixed(1)} | ${((during - base) / INFLIGHT / 1024).toFixed(1)} per request | |`);
  out(`| then ${idleConns} idle upstream connections, no client connection | ${(idle / MiB).toFixed(1)} | ${((idle - base) / Math.max(1, idleConns) / 1024).toFixed(1)} per connection (upper bound: freed request memory the allocator kept is in it) | ${(idleStatus.heap_used / MiB).toFixed(1)} |`);

  // Keep-alive churn for CHURN_S seconds.
  const churnClient = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 120_000 });
  let requests = 0;
  let errors = 0;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        const res = await request(`${sluice.proxyUrl}/churn`, { dispatcher: churnClient });
        await res.body.dump();
        if (res.statusCode === 200) requests++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  const startStatus = await status(sluice.adminUrl);
  const loops = Array.from({ length: CONCURRENCY }, loop);
  const samples: Array<{ s: number; rss: number; heap: number; requests: number }> = [];
  const started = performance.now();
  out('');
  out(`keep-alive churn: ${CONCURRENCY} client connections, the upstream closes each connection after ${EVERY} requests, ${CHURN_S} s`);
  out('');
  out('| t (s) | RSS (MiB) | worker heap used (MiB) | requests | upstream connections opened |');
  out('|---|---|---|---|---|');
  for (let t = SAMPLE_S; t <= CHURN_S; t += SAMPLE_S) {
    await delay(started + t * 1000 - performance.now());
    const st = await status(sluice.adminUrl);
    const sample = { s: t, rss: rss(pid), heap: st.heap_used, requests };
    samples.push(sample);
    out(`| ${t} | ${(sample.rss / MiB).toFixed(1)} | ${(sample.heap / MiB).toFixed(1)} | ${requests} | ${st.upstream.connects - startStatus.upstream.connects} |`);
  }
  running = false;
  await Promise.all(loops);
  await churnClient.close();
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const peak = Math.max(...samples.map((s) => s.rss));
  out('');
  out(
    `churn: ${requests} requests, ${errors} errors in ${((performance.now() - started) / 1000).toFixed(0)} s; RSS ${(first.rss / MiB).toFixed(1)} MiB at ${first.s} s → ` +
      `${(last.rss / MiB).toFixed(1)} MiB at ${last.s} s (${(((last.rss - first.rss) / first.rss) * 100).toFixed(1)}%), peak ${(peak / MiB).toFixed(1)} MiB`,
  );
  await stop(sluice.child);
  hold.closeAllConnections();
  churn.closeAllConnections();
  hold.close();
  churn.close();
  rmSync(tmpDir, { recursive: true, force: true });
}

main().then(
  () => stopAll(),
  async (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await stopAll();
    process.exit(1);
  },
);
