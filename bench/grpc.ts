// gRPC unary calls through Sluice vs straight to the upstream (issue 17 item 6, optional bench).
// `flock /work/wt/bench.lock node bench/grpc.ts [seconds] [--rounds N] [--concurrency C]`.
// Bounded: 2 targets x N rounds (default 3) of `seconds` (default 5) plus a 2 s warm-up each;
// every child stopped by pid at the end.
// Upstream: @grpc/grpc-js echoing a 100-byte unary request (harness/targets/grpc-upstream.ts),
// its own process. Sluice: `--workers 1 --h2c`, a grpc route to a grpc service (HTTP/2 both
// sides). The load generator is a @grpc/grpc-js client in this process keeping C calls in flight
// on one channel (one HTTP/2 connection), as a gRPC client does; it competes for the same 2 cores,
// so the ratio is what matters. Rounds alternate the targets; medians are compared; Sluice's CPU
// per call is its process tree's user+system time over the calls it served.
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { treeCpuMs } from './harness/load/cpu.ts';
import { freePorts, HOST, waitForPort } from './harness/net.ts';
import { installCleanupHandlers, start, stopAll, waitForLine } from './harness/proc.ts';
import { describeBackground } from './harness/report/machine.ts';

const { values, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } }, allowPositionals: true });
const SECONDS = Number(positionals[0] ?? 5);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const RUNTIME = fileURLToPath(new URL('../runtime', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./harness/targets/grpc-upstream.ts', import.meta.url));

installCleanupHandlers(() => {});

const identity = (b: Buffer): Buffer => b;
const Client = grpc.makeGenericClientConstructor(
  { Unary: { path: '/bench.Echo/Unary', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
  'bench.Echo',
);
type UnaryClient = grpc.Client & { Unary(req: Buffer, callback: (error: grpc.ServiceError | null) => void): void };

interface Round {
  calls: number;
  errors: number;
  seconds: number;
}

/** Keeps CONCURRENCY calls in flight for `seconds`; counts completed calls and errors. */
function load(client: UnaryClient, seconds: number): Promise<Round> {
  const payload = Buffer.alloc(100, 0x61);
  const until = performance.now() + seconds * 1000;
  let calls = 0;
  let errors = 0;
  let running = 0;
  return new Promise((resolve) => {
    const started = performance.now();
    const next = (): void => {
      if (performance.now() >= until) {
        if (--running === 0) resolve({ calls, errors, seconds: (performance.now() - started) / 1000 });
        return;
      }
      client.Unary(payload, (error) => {
        if (error === null) calls++;
        else errors++;
        next();
      });
    };
    for (let i = 0; i < CONCURRENCY; i++) {
      running++;
      next();
    }
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const [upstreamPort, sluicePort, sslPort, adminPort] = await freePorts(4);
  const upstream = start('grpc-upstream', process.execPath, [UPSTREAM, '--port', String(upstreamPort)]);
  await waitForLine(upstream, (line) => line.includes('"ready":true'), 30_000);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-grpc-bench-'));
  writeFileSync(join(dir, 'kong.yaml'), `_format_version: "3.0"\nservices:\n  - name: echo\n    url: grpc://${HOST}:${upstreamPort}\n    routes:\n      - name: echo\n        protocols: [grpc]\n        paths: [/bench.Echo/]\n`);
  const sluice = start('sluice', process.execPath, [RUNTIME, '--config', join(dir, 'kong.yaml'), '--host', HOST, '--port', String(sluicePort), '--ssl-port', String(sslPort), '--admin-listen', `${HOST}:${adminPort}`, '--workers', '1', '--no-spare', '--h2c'], { env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
  await waitForPort(sluicePort!, 120_000);

  const targets = [
    { name: 'direct', client: new Client(`${HOST}:${upstreamPort}`, grpc.credentials.createInsecure()) as unknown as UnaryClient, pid: 0 },
    { name: 'Sluice', client: new Client(`${HOST}:${sluicePort}`, grpc.credentials.createInsecure()) as unknown as UnaryClient, pid: sluice.pid },
  ];
  const background = await describeBackground();
  for (const t of targets) await load(t.client, 2);
  const rates: Record<string, number[]> = { direct: [], Sluice: [] };
  const cpu: number[] = [];
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      const cpuBefore = t.pid === 0 ? null : treeCpuMs(t.pid);
      const r = await load(t.client, SECONDS);
      errors += r.errors;
      rates[t.name]!.push(r.calls / r.seconds);
      if (cpuBefore !== null) {
        const after = treeCpuMs(t.pid);
        if (after !== null) cpu.push(((after - cpuBefore) * 1000) / r.calls);
      }
      console.log(`round ${round + 1} ${t.name}: ${(r.calls / r.seconds).toFixed(0)} calls/s${r.errors > 0 ? `, ${r.errors} errors` : ''}`);
    }
  }
  for (const t of targets) t.client.close();
  const direct = median(rates['direct']!);
  const through = median(rates['Sluice']!);
  console.log(`\n${background}`);
  console.log(`gRPC unary, ${CONCURRENCY} calls in flight on one channel, ${ROUNDS} rounds x ${SECONDS} s, medians:`);
  console.log(`  direct to the upstream  ${direct.toFixed(0)} calls/s`);
  console.log(`  through Sluice (1 worker, h2c both sides)  ${through.toFixed(0)} calls/s = ${(through / direct).toFixed(2)}x direct; Sluice CPU ${median(cpu).toFixed(1)} us/call`);
  console.log(`  errors: ${errors}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
