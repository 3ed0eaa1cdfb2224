// TLS at the edge against nginx with the same certificate (issue 17 item 7). Runs on the bench
// orchestrator: `flock /work/wt/bench.lock node bench/tls.ts [seconds] [--rounds N] [--rsa]`. Bounded:
// 3 measures x 3 targets x N rounds of `seconds` each (defaults 5 s, 3 rounds), a rotation run,
// every child stopped by pid at the end.
// Targets, each with one worker/thread, the same certificate made at run time (ECDSA P-256, or
// RSA 2048 with --rsa):
//   Sluice        --workers 1, proxying to the upstream (nginx returning 200 "ok")
//   nginx         worker_processes 1, proxying to the same upstream, session cache off
//   node:tls      the floor: a bare node:tls server answering the same response itself
//                 (harness/targets/tls-floor.ts), i.e. what Node's TLS costs before any proxy work
// Measures:
//   keep-alive       wrk -c32 over TLS
//   new connections  wrk -c16 with `Connection: close`: one connection and handshake per request.
//                    wrk keeps the session of its last connection and offers it again, so part of
//                    these handshakes are resumptions (TLS 1.3 tickets); Sluice's counters give the
//                    share for Sluice, printed with the result
//   full handshakes  4 parallel `openssl s_time -new` clients (never offer a session, no SNI):
//                    every connection a full handshake and one `GET /` (HTTP/1.0)
//   rotation         new connections under load while the certificate wrk's SNI selects is
//                    replaced by POST /config every 500 ms: failed handshakes (wrk socket errors,
//                    the worker's tls.failed) must stay 0
// Rounds alternate the targets (the first one rotates) and the medians are compared; CPU µs per
// request is the target's process tree's user+system time over the requests it served.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';
import { treeCpuMs } from './harness/load/cpu.ts';
import { freePorts, HOST, waitForPort } from './harness/net.ts';
import { installCleanupHandlers, start, stopAll, waitForLine } from './harness/proc.ts';
import { describeBackground } from './harness/report/machine.ts';

const { values, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, rsa: { type: 'boolean', default: false } }, allowPositionals: true });
const SECONDS = Number(positionals[0] ?? 5);
const ROUNDS = Number(values.rounds);
/** --rsa: an RSA 2048 certificate for every target instead of ECDSA P-256. */
const KEY_TYPE = values.rsa ? 'rsa' : 'ec';
const RUNTIME = fileURLToPath(new URL('../runtime', import.meta.url));
const FLOOR = fileURLToPath(new URL('./harness/targets/tls-floor.ts', import.meta.url));
const NGINX = '/usr/sbin/nginx';
/** Parallel s_time clients: each is one connection at a time, so this is the concurrency. */
const S_TIME_CLIENTS = 4;

installCleanupHandlers(() => void stopAll());

async function pair(name: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: KEY_TYPE,
    ...(KEY_TYPE === 'rsa' ? { keySize: 2048 } : {}),
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }, { type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

interface Target {
  name: string;
  port: number;
  /** Root of the target's process tree (CPU time). */
  pid: number;
}

interface Sample {
  rps: number;
  requests: number;
  /** wrk socket errors, or s_time clients that failed. */
  errors: number;
  non2xx: number;
  cpuUsPerRequest: number | null;
}

function run(command: string, args: string[]): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ out, code }));
  });
}

async function withCpu(target: Target, load: () => Promise<Omit<Sample, 'cpuUsPerRequest'>>): Promise<Sample> {
  const before = treeCpuMs(target.pid);
  const result = await load();
  const after = treeCpuMs(target.pid);
  const cpuUsPerRequest = before === null || after === null || result.requests === 0 ? null : ((after - before) * 1000) / result.requests;
  return { ...result, cpuUsPerRequest };
}

async function wrk(target: Target, connections: number, close: boolean, seconds = SECONDS): Promise<Omit<Sample, 'cpuUsPerRequest'>> {
  const url = `https://localhost:${target.port}/`;
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', ...(close ? ['-H', 'Connection: close'] : []), url];
  const { out } = await run('wrk', args);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = e === null ? 0 : Number(e[1]) + Number(e[2]) + Number(e[3]) + Number(e[4]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, requests, errors, non2xx };
}

/** S_TIME_CLIENTS `openssl s_time -new` clients at once; connections/s over the wall time. */
async function sTime(target: Target): Promise<Omit<Sample, 'cpuUsPerRequest'>> {
  const started = performance.now();
  const runs = await Promise.all(
    Array.from({ length: S_TIME_CLIENTS }, () => run('openssl', ['s_time', '-connect', `${HOST}:${target.port}`, '-new', '-time', String(SECONDS), '-www', '/'])),
  );
  const seconds = (performance.now() - started) / 1000;
  let requests = 0;
  let errors = 0;
  for (const { out, code } of runs) {
    const done = /(\d+) connections in [\d.]+s;/.exec(out);
    if (done === null || code !== 0) errors++;
    requests += Number(done?.[1] ?? 0);
  }
  return { rps: requests / seconds, requests, errors, non2xx: 0 };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function nginxConf(dir: string, body: string): string {
  return `worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'cb')}; proxy_temp_path ${join(dir, 'px')}; fastcgi_temp_path ${join(dir, 'fc')}; uwsgi_temp_path ${join(dir, 'uw')}; scgi_temp_path ${join(dir, 'sc')};
  keepalive_requests 10000000;
${body}
}
`;
}

async function startNginx(name: string, dir: string, body: string, port: number): Promise<number> {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, nginxConf(dir, body));
  const child = start(name, NGINX, ['-p', dir, '-c', file, '-e', join(dir, 'error.log'), '-g', 'daemon off;']);
  await waitForPort(port, 10_000);
  return child.pid;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-tls-'));
  const [upstreamPort, nginxPort, sluicePort, sluiceSslPort, adminPort, floorPort] = await freePorts(6);
  const cert = await pair('localhost');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, cert.cert);
  writeFileSync(keyFile, cert.key);

  await startNginx('upstream', dir, `  server { listen ${HOST}:${upstreamPort}; location / { return 200 "ok\\n"; } }`, upstreamPort!);
  const nginxPid = await startNginx(
    'nginx-tls',
    dir,
    `  upstream up { server ${HOST}:${upstreamPort}; keepalive 64; }
  ssl_session_cache off;
  server {
    listen ${HOST}:${nginxPort} ssl;
    ssl_certificate ${certFile};
    ssl_certificate_key ${keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
    nginxPort!,
  );
  const floor = start('tls-floor', process.execPath, [FLOOR, '--port', String(floorPort), '--cert', certFile, '--key', keyFile]);
  await waitForLine(floor, (line) => line.includes('"ready":true'), 30_000);

  const config = (c: { cert: string; key: string }): string =>
    stringify({ _format_version: '3.0', certificates: [{ cert: c.cert, key: c.key, snis: ['localhost'] }], services: [{ name: 'up', url: `http://${HOST}:${upstreamPort}`, routes: [{ name: 'all', paths: ['/'] }] }] });
  writeFileSync(join(dir, 'kong.yaml'), config(cert));
  const sluice = start('sluice', process.execPath, [RUNTIME, '--config', join(dir, 'kong.yaml'), '--host', HOST, '--port', String(sluicePort), '--ssl-port', String(sluiceSslPort), '--admin-listen', `${HOST}:${adminPort}`, '--workers', '1', '--no-spare', '--ssl-cert', certFile, '--ssl-cert-key', keyFile], { env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
  await waitForLine(sluice, (line) => line.includes('sluice ready'), 120_000).catch(() => waitForPort(sluiceSslPort!, 60_000));
  await waitForPort(sluiceSslPort!, 60_000);

  const targets: Target[] = [
    { name: 'Sluice', port: sluiceSslPort!, pid: sluice.pid },
    { name: 'nginx', port: nginxPort!, pid: nginxPid },
    { name: 'node:tls floor', port: floorPort!, pid: floor.pid },
  ];
  const tlsCounters = async (): Promise<{ failed: number; handshakes: number; resumed: number }> => {
    const reply = await fetch(`http://${HOST}:${adminPort}/workers`);
    const data = ((await reply.json()) as { data: Array<{ status: { tls: { failed: number; handshakes: number; resumed: number } } }> }).data;
    return data.reduce((sum, w) => ({ failed: sum.failed + w.status.tls.failed, handshakes: sum.handshakes + w.status.tls.handshakes, resumed: sum.resumed + w.status.tls.resumed }), { failed: 0, handshakes: 0, resumed: 0 });
  };

  const background = await describeBackground();
  // Warm-up: JIT, pools, the upstream's keep-alive connections.
  for (const target of targets) {
    await wrk(target, 8, false, 2);
    await wrk(target, 8, true, 2);
  }

  const measures = [
    { label: 'TLS keep-alive req/s (wrk c32)', load: (t: Target) => wrk(t, 32, false) },
    { label: 'new connections/s (wrk c16, Connection: close)', load: (t: Target) => wrk(t, 16, true) },
    { label: `full handshakes/s (openssl s_time -new x${S_TIME_CLIENTS})`, load: (t: Target) => sTime(t) },
  ];
  const samples = new Map<string, Sample[]>();
  let sluiceResumed = 0;
  let sluiceHandshakes = 0;
  const lines: string[] = [];
  for (const [m, measure] of measures.entries()) {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length]!;
        const before = target.name === 'Sluice' ? await tlsCounters() : null;
        const sample = await withCpu(target, () => measure.load(target));
        if (before !== null && m === 1) {
          const after = await tlsCounters();
          sluiceResumed += after.resumed - before.resumed;
          sluiceHandshakes += after.handshakes - before.handshakes;
        }
        const key = `${m}/${target.name}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        lines.push(`  ${measure.label}, round ${round + 1}, ${target.name}: ${sample.rps.toFixed(0)}/s, ${sample.cpuUsPerRequest?.toFixed(0) ?? '?'} CPU µs/req, errors ${sample.errors}/${sample.non2xx}`);
      }
    }
  }

  // Rotation under new-connection load.
  const before = await tlsCounters();
  const load = wrk(targets[0]!, 16, true);
  let rotations = 0;
  let rotationErrors = 0;
  const deadline = Date.now() + SECONDS * 1000 - 1500;
  while (Date.now() < deadline) {
    const next = await pair('localhost');
    const reply = await fetch(`http://${HOST}:${adminPort}/config?wait=1`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: config(next) });
    if (reply.status === 201) rotations++;
    else rotationErrors++;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // Sampled while wrk still runs: its last connections, cut mid-handshake when its time is up,
  // would count as failed handshakes on the server without being the rotation's.
  const after = await tlsCounters();
  const rotated = await load;

  const med = (m: number, name: string, pick: (s: Sample) => number | null): number => median((samples.get(`${m}/${name}`) ?? []).map(pick).filter((x): x is number => x !== null));
  console.log(`# bench/tls.ts — ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}, node ${process.version}`);
  console.log(`# ${background}`);
  console.log(`# ${SECONDS} s per run, ${ROUNDS} rounds alternating the targets, medians; 1 worker each, ${KEY_TYPE === 'rsa' ? 'RSA 2048' : 'ECDSA P-256'} certificate; upstream nginx returning 200`);
  console.log('| measure | Sluice | nginx | node:tls floor | Sluice/nginx | floor/nginx | Sluice/floor | CPU µs/req Sluice · nginx · floor | errors Sluice · nginx · floor |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [m, measure] of measures.entries()) {
    const rps = targets.map((t) => med(m, t.name, (s) => s.rps));
    const cpu = targets.map((t) => med(m, t.name, (s) => s.cpuUsPerRequest));
    const errors = targets.map((t) => (samples.get(`${m}/${t.name}`) ?? []).reduce((sum, s) => `${Number(sum.split('/')[0]) + s.errors}/${Number(sum.split('/')[1]) + s.non2xx}`, '0/0'));
    const [s, n, f] = rps as [number, number, number];
    console.log(`| ${measure.label} | ${s.toFixed(0)} | ${n.toFixed(0)} | ${f.toFixed(0)} | ${(s / n).toFixed(2)} | ${(f / n).toFixed(2)} | ${(s / f).toFixed(2)} | ${cpu.map((c) => c.toFixed(0)).join(' · ')} | ${errors.join(' · ')} |`);
  }
  console.log(`\nSluice's handshakes under wrk Connection: close: ${sluiceHandshakes}, of which resumed ${sluiceResumed} (${((sluiceResumed / Math.max(1, sluiceHandshakes)) * 100).toFixed(0)}%)`);
  console.log(`rotation under new-connection load: ${rotations} certificate changes (${rotationErrors} refused), ${rotated.requests} requests at ${rotated.rps.toFixed(0)}/s; wrk socket errors ${rotated.errors}, non-2xx ${rotated.non2xx}; worker's failed handshakes ${after.failed - before.failed} of ${after.handshakes - before.handshakes}`);
  console.log('\nevery run:');
  for (const line of lines) console.log(line);
  await stopAll();
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
