// Zero-downtime handover on one port (issue #19), run on the bench orchestrator: a second
// `node runtime` joins the proxy port of a first one (reusePort) under wrk keep-alive load, is
// polled until /status/ready answers 200, and then the first gets SIGTERM and drains as a lame
// duck. The figure is wrk's failed requests (socket errors and non-2xx) over the whole run; the
// anchor is nginx's binary upgrade (USR2, then WINCH and QUIT to the old master) under the same
// load, when nginx is installed.
// Usage: node bench/handover.ts [--seconds 20] [--connections 20] [--rounds 3]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, waitForPort } from './harness/net.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, connections: { type: 'string' }, rounds: { type: 'string' } } });
const SECONDS = Number(values.seconds ?? 20);
const CONNECTIONS = Number(values.connections ?? 20);
const ROUNDS = Number(values.rounds ?? 3);
const RUNTIME = new URL('../runtime', import.meta.url).pathname;
const UPSTREAM_SERVER = new URL('./harness/targets/upstream-server.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sluice-handover-'));

interface WrkResult {
  requests: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  non2xx: number;
  failed: number;
}

function parseWrk(text: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = { connect: Number(errors?.[1] ?? 0), read: Number(errors?.[2] ?? 0), write: Number(errors?.[3] ?? 0), timeout: Number(errors?.[4] ?? 0) };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return { requests, socketErrors, non2xx, failed: socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout + non2xx };
}

function wrk(port: number): { done: Promise<WrkResult> } {
  // A long request timeout: on a shared box a second runtime's start can stall responses for
  // seconds; a slow response is not a failed one (wrk's default of 2 s would count it as one).
  const child = spawn('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '30s', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { done: once(child, 'exit').then(() => parseWrk(out)) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A `node runtime` child; resolves once it logged `sluice ready`. */
async function startSluice(port: number, config: string): Promise<{ child: ChildProcess; admin: string }> {
  const child = spawn(process.execPath, [RUNTIME, '--config', config, '--host', '127.0.0.1', '--port', String(port), '--admin-listen', '127.0.0.1:0', '--workers', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffered = '';
  const admin = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (!line.includes('"sluice ready"')) continue;
        resolve(String((JSON.parse(line) as { admin: string }).admin));
      }
    });
    child.once('exit', (code) => reject(new Error(`sluice exited ${code} before ready`)));
  });
  child.stdout!.resume();
  return { child, admin };
}

async function untilReady(admin: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const status = await fetch(`${admin}/status/ready`).then((r) => r.status, () => 0);
    if (status === 200) return performance.now() - started;
    await delay(50);
  }
}

async function sluiceRound(upstreamPort: number): Promise<{ wrk: WrkResult; drainMs: number }> {
  const config = join(dir, 'kong.yaml');
  writeFileSync(config, `_format_version: "3.0"\nservices:\n  - name: bench\n    url: http://127.0.0.1:${upstreamPort}\n    routes:\n      - name: bench\n        paths: [/]\n`);
  const port = await freePort();
  const old = await startSluice(port, config);
  const load = wrk(port);
  await delay((SECONDS * 1000) / 4);
  const next = await startSluice(port, config);
  await untilReady(next.admin);
  const sigterm = performance.now();
  old.child.kill('SIGTERM');
  await once(old.child, 'exit');
  const drainMs = performance.now() - sigterm;
  const result = await load.done;
  next.child.kill('SIGTERM');
  await once(next.child, 'exit');
  return { wrk: result, drainMs };
}

function nginxConf(prefix: string, port: number, upstreamPort: number): string {
  return `worker_processes 2;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'client_body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  keepalive_requests 10000000;
  upstream bench { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
}

/** nginx's binary upgrade: USR2 starts a new master on the inherited sockets; WINCH + QUIT end the old one. */
async function nginxRound(upstreamPort: number): Promise<WrkResult & { note: string }> {
  const prefix = mkdtempSync(join(dir, 'nginx-'));
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConf(prefix, port, upstreamPort));
  // Daemonized, as the binary upgrade expects (the new master is the old one's child).
  const started = spawnSync('/usr/sbin/nginx', ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`nginx: ${started.stderr}`);
  await waitForPort(port, 10_000);
  const pidFile = join(prefix, 'nginx.pid');
  const oldPid = Number(readFileSync(pidFile, 'utf8'));
  const load = wrk(port);
  await delay((SECONDS * 1000) / 4);
  process.kill(oldPid, 'SIGUSR2');
  let newPid = 0;
  for (let i = 0; i < 200 && newPid === 0; i++) {
    await delay(50);
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid !== oldPid) newPid = pid;
    } catch {
      // being rewritten
    }
  }
  let note = 'USR2, WINCH, QUIT';
  if (newPid === 0) note = 'the new master did not start (see error.log)';
  await delay(1000);
  process.kill(oldPid, 'SIGWINCH');
  await delay(1000);
  process.kill(oldPid, 'SIGQUIT');
  const result = await load.done;
  if (newPid !== 0) process.kill(newPid, 'SIGQUIT');
  return { ...result, note };
}

const upstreamPort = await freePort();
const upstream = spawn(process.execPath, [UPSTREAM_SERVER, String(upstreamPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
await waitForPort(upstreamPort, 10_000);
const nginxInstalled = spawnSync('/usr/sbin/nginx', ['-v']).error === undefined;
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; wrk -t2 -c${CONNECTIONS} -d${SECONDS}s --timeout 30s, ${ROUNDS} rounds`);
console.log('| round | target | requests | failed | socket errors (connect/read/write/timeout) | non-2xx | SIGTERM to exit |');
console.log('|---|---|---|---|---|---|---|');
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const s = await sluiceRound(upstreamPort);
    const e = s.wrk.socketErrors;
    console.log(`| ${round} | sluice handover | ${s.wrk.requests} | ${s.wrk.failed} | ${e.connect}/${e.read}/${e.write}/${e.timeout} | ${s.wrk.non2xx} | ${Math.round(s.drainMs)} ms |`);
    if (nginxInstalled) {
      const n = await nginxRound(upstreamPort);
      const ne = n.socketErrors;
      console.log(`| ${round} | nginx binary upgrade (${n.note}) | ${n.requests} | ${n.failed} | ${ne.connect}/${ne.read}/${ne.write}/${ne.timeout} | ${n.non2xx} | — |`);
    }
  }
} finally {
  upstream.kill('SIGTERM');
}
