// TLS at the edge against nginx with the same certificate (issue 17 item 7). Runs on the bench
// orchestrator: `flock /work/wt/bench.lock node bench/tls.ts [seconds]`. Bounded: a few runs of
// `seconds` (default 8) each, every child stopped by pid at the end.
//   keep-alive   wrk -c32 over TLS, requests proxied to one upstream (nginx returning 200 "ok")
//   handshakes   wrk with `Connection: close`: every request a new connection and a full handshake
//                (wrk offers no session to resume), so req/s = handshakes/s
//   rotation     handshakes under load while the certificate wrk's SNI selects is replaced by
//                POST /config every 500 ms: failed handshakes (wrk socket errors, the workers'
//                tls.failed) must stay 0
// Sluice and nginx each get one worker, the same ECDSA P-256 certificate, the same upstream; the
// ratios Sluice/nginx are printed. The certificate and key are made at run time in a temp dir.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';
import { freePorts, HOST, waitForPort } from './harness/net.ts';
import { installCleanupHandlers, start, stopAll, waitForLine } from './harness/proc.ts';

const SECONDS = Number(process.argv[2] ?? 8);
const RUNTIME = fileURLToPath(new URL('../runtime', import.meta.url));
const NGINX = '/usr/sbin/nginx';

installCleanupHandlers(() => void stopAll());

async function pair(name: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }, { type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

interface WrkResult {
  rps: number;
  socketErrors: number;
  non2xx: number;
  requests: number;
}

function wrk(url: string, connections: number, close: boolean): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${SECONDS}s`, '--timeout', '10s', ...(close ? ['-H', 'Connection: close'] : []), url];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      // A server's close after `Connection: close` counts as a read error in wrk only when the
      // response was not complete; connect/write/timeout are failures outright.
      const socketErrors = errors === null ? 0 : Number(errors[1]) + Number(errors[3]) + Number(errors[4]) + Number(errors[2]);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      resolve({ rps, socketErrors, non2xx, requests });
    });
  });
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

async function startNginx(name: string, dir: string, body: string, port: number): Promise<void> {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, nginxConf(dir, body));
  start(name, NGINX, ['-p', dir, '-c', file, '-e', join(dir, 'error.log'), '-g', 'daemon off;']);
  await waitForPort(port, 10_000);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-tls-'));
  const [upstreamPort, nginxPort, sluicePort, sluiceSslPort, adminPort] = await freePorts(5);
  const cert = await pair('localhost');
  writeFileSync(join(dir, 'cert.pem'), cert.cert);
  writeFileSync(join(dir, 'key.pem'), cert.key);

  await startNginx('upstream', dir, `  server { listen ${HOST}:${upstreamPort}; location / { return 200 "ok\\n"; } }`, upstreamPort!);
  await startNginx(
    'nginx-tls',
    dir,
    `  upstream up { server ${HOST}:${upstreamPort}; keepalive 64; }
  ssl_session_cache off;
  server {
    listen ${HOST}:${nginxPort} ssl;
    ssl_certificate ${join(dir, 'cert.pem')};
    ssl_certificate_key ${join(dir, 'key.pem')};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
    nginxPort!,
  );

  const config = (c: { cert: string; key: string }): string =>
    stringify({ _format_version: '3.0', certificates: [{ cert: c.cert, key: c.key, snis: ['localhost'] }], services: [{ name: 'up', url: `http://${HOST}:${upstreamPort}`, routes: [{ name: 'all', paths: ['/'] }] }] });
  writeFileSync(join(dir, 'kong.yaml'), config(cert));
  const sluice = start('sluice', process.execPath, [RUNTIME, '--config', join(dir, 'kong.yaml'), '--host', HOST, '--port', String(sluicePort), '--ssl-port', String(sluiceSslPort), '--admin-listen', `${HOST}:${adminPort}`, '--workers', '1', '--no-spare', '--ssl-cert', join(dir, 'cert.pem'), '--ssl-cert-key', join(dir, 'key.pem')], { env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
  await waitForLine(sluice, (line) => line.includes('sluice ready'), 120_000).catch(() => waitForPort(sluiceSslPort!, 60_000));
  await waitForPort(sluiceSslPort!, 60_000);

  const sluiceUrl = `https://localhost:${sluiceSslPort}/`;
  const nginxUrl = `https://localhost:${nginxPort}/`;
  // Warm both (JIT, pools).
  await wrk(sluiceUrl, 8, false);
  await wrk(nginxUrl, 8, false);

  const rows: string[][] = [];
  for (const [label, connections, close] of [['TLS keep-alive req/s (c32)', 32, false], ['full handshakes/s (Connection: close, c16)', 16, true]] as const) {
    const s = await wrk(sluiceUrl, connections, close);
    const n = await wrk(nginxUrl, connections, close);
    rows.push([label, s.rps.toFixed(0), n.rps.toFixed(0), (s.rps / n.rps).toFixed(2), `${s.socketErrors}/${s.non2xx}`, `${n.socketErrors}/${n.non2xx}`]);
  }

  // Rotation under handshake load.
  const workers = async (): Promise<{ failed: number; handshakes: number }> => {
    const reply = await fetch(`http://${HOST}:${adminPort}/workers`);
    const data = ((await reply.json()) as { data: Array<{ status: { tls: { failed: number; handshakes: number } } }> }).data;
    return data.reduce((sum, w) => ({ failed: sum.failed + w.status.tls.failed, handshakes: sum.handshakes + w.status.tls.handshakes }), { failed: 0, handshakes: 0 });
  };
  const before = await workers();
  const load = wrk(sluiceUrl, 16, true);
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
  const after = await workers();
  const rotated = await load;

  const cores = cpus().length;
  console.log(`# bench/tls.ts — ${new Date().toISOString()}, ${cores} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}, node ${process.version}`);
  console.log(`# ${SECONDS} s per run, wrk -t1, 1 worker each, ECDSA P-256 certificate, upstream nginx returning 200`);
  console.log('| measure | Sluice | nginx | Sluice/nginx | Sluice errors (socket/non-2xx) | nginx errors |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\nrotation under handshake load: ${rotations} certificate changes (${rotationErrors} refused), ${rotated.requests} requests at ${rotated.rps.toFixed(0)} handshakes/s; wrk socket errors ${rotated.socketErrors}, non-2xx ${rotated.non2xx}; workers' failed handshakes ${after.failed - before.failed} of ${after.handshakes - before.handshakes}`);
  await stopAll();
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
