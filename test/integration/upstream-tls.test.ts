// https upstreams (issue 12 item 10): the service's protocol applies to its upstream's targets;
// SNI is the upstream's host_header or the service host; certificates are verified as the
// service's tls_verify (and tls_verify_depth) says, else as --upstream-tls-verify says, against
// --upstream-trusted-ca or the system store; TLS sessions are reused per target. The CAs and
// certificates are made at test time (selfsigned) and never written outside a temp dir.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { generate } from 'selfsigned';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';

interface Seen {
  servername: string | false;
  host: string | undefined;
  resumed: boolean;
}

interface TlsUpstream {
  server: Server;
  port: number;
  seen: Seen[];
}

let trusted: TlsUpstream;
let named: TlsUpstream;
let stranger: TlsUpstream;
let verifying: Runtime;
let strict: Runtime;

async function makeCa(name: string): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    algorithm: 'sha256',
    keySize: 2048,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

async function startTlsUpstream(ca: { key: string; cert: string }, commonName: string, close = false): Promise<TlsUpstream> {
  const leaf = await generate([{ name: 'commonName', value: commonName }], { algorithm: 'sha256', keySize: 2048, ca });
  const seen: Seen[] = [];
  const server = createServer({ key: leaf.private, cert: leaf.cert }, (req, res) => {
    const socket = req.socket as TLSSocket;
    seen.push({ servername: (socket as TLSSocket & { servername: string | false }).servername, host: req.headers.host, resumed: socket.isSessionReused() });
    res.writeHead(200, { 'content-type': 'text/plain', ...(close ? { connection: 'close' } : {}) });
    res.end(`tls ok ${commonName}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, seen };
}

before(async () => {
  const ca = await makeCa('Sluice Test CA');
  const otherCa = await makeCa('Unknown CA');
  // The CA-signed certificate for `localhost` also names 127.0.0.1 (selfsigned adds both).
  trusted = await startTlsUpstream(ca, 'localhost', true);
  named = await startTlsUpstream(ca, 'upstream.test');
  stranger = await startTlsUpstream(otherCa, 'localhost');
  const caFile = await writeConfig(ca.cert, 'ca.pem');
  const config = await writeConfig(`
_format_version: "3.0"
upstreams:
  - name: secure-up
    host_header: upstream.test
    targets: [{ target: "127.0.0.1:${named.port}" }]
services:
  - name: not-verified
    url: https://127.0.0.1:${stranger.port}
    routes: [{ name: not-verified, paths: [/not-verified] }]
  - name: verified
    url: https://localhost:${trusted.port}
    tls_verify: true
    routes: [{ name: verified, paths: [/verified] }]
  - name: refused
    url: https://127.0.0.1:${stranger.port}
    tls_verify: true
    retries: 0
    routes: [{ name: refused, paths: [/refused] }]
  - name: too-deep
    url: https://localhost:${trusted.port}
    tls_verify: true
    tls_verify_depth: 0
    retries: 0
    routes: [{ name: too-deep, paths: [/too-deep] }]
  - name: via-upstream
    protocol: https
    host: secure-up
    port: 443
    tls_verify: true
    routes: [{ name: via-upstream, paths: [/via-upstream] }]
`);
  verifying = await startRuntime(['--config', config, '--workers', '1', '--upstream-trusted-ca', caFile]);
  const strictConfig = await writeConfig(`
_format_version: "3.0"
services:
  - name: system-store
    url: https://localhost:${trusted.port}
    retries: 0
    routes: [{ name: system-store, paths: [/system-store] }]
  - name: opted-out
    url: https://localhost:${trusted.port}
    tls_verify: false
    routes: [{ name: opted-out, paths: [/opted-out] }]
`);
  strict = await startRuntime(['--config', strictConfig, '--workers', '1', '--upstream-tls-verify']);
});

after(async () => {
  await Promise.all([verifying?.stop(), strict?.stop()]);
  for (const upstream of [trusted, named, stranger]) upstream?.server.close();
});

test('not verified (the default): an https upstream with an unknown CA answers', async () => {
  const reply = await request(`${verifying.proxy}/not-verified`);
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'tls ok localhost');
});

test('verified: tls_verify against --upstream-trusted-ca; SNI is the service host; sessions are reused per target', async () => {
  const first = await request(`${verifying.proxy}/verified`);
  assert.equal(first.status, 200);
  // The upstream closes after each response, so the second request needs a new handshake.
  const second = await request(`${verifying.proxy}/verified`);
  assert.equal(second.status, 200);
  const seen = trusted.seen.slice(-2);
  assert.equal(seen[0]!.servername, 'localhost');
  assert.equal(seen[1]!.resumed, true, 'the second handshake resumed the first session');
});

test('refused: a certificate from an unknown CA is 502, and the log names the reason', async () => {
  const reply = await request(`${verifying.proxy}/refused`);
  assert.equal(reply.status, 502);
  const line = await verifying.waitForLog((l) => l.msg === 'upstream TLS handshake failed' && l.service === 'refused');
  assert.match(String(line.code), /CERT|SIGNATURE|ISSUER/);
  assert.ok(String(line.reason).length > 0);
});

test('tls_verify_depth 0 refuses a chain with a CA above the leaf', async () => {
  const reply = await request(`${verifying.proxy}/too-deep`);
  assert.equal(reply.status, 502);
  await verifying.waitForLog((l) => l.msg === 'upstream TLS handshake failed' && l.service === 'too-deep');
});

test("a service's https applies to its upstream's targets; SNI and Host are the upstream's host_header", async () => {
  const reply = await request(`${verifying.proxy}/via-upstream`);
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'tls ok upstream.test');
  assert.deepEqual([named.seen.at(-1)!.servername, named.seen.at(-1)!.host], ['upstream.test', 'upstream.test']);
});

test('--upstream-tls-verify without a trusted CA file: the system store does not know the test CA', async () => {
  const refused = await request(`${strict.proxy}/system-store`);
  assert.equal(refused.status, 502);
  await strict.waitForLog((l) => l.msg === 'upstream TLS handshake failed' && l.service === 'system-store');
  // A service's tls_verify: false overrides the global setting.
  const optedOut = await request(`${strict.proxy}/opted-out`);
  assert.equal(optedOut.status, 200);
});
