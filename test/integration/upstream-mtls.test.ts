// A service's client_certificate (mTLS to its upstream) and ca_certificates (its own trust store,
// instead of --upstream-trusted-ca) from `certificates` and `ca_certificates` entities (issue 17
// item 3), and a certificate change reaching the upstream connections made after it.
// Certificates are made at test time (test/helpers/tls.ts).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { makeCa, makeLeaf, type Pems } from '../helpers/tls.ts';

let upstream: Server;
let upstreamPort: number;
let runtime: Runtime;
let clientCa: Pems;
let serverCa: Pems;
let otherCa: Pems;
let clientA: Pems;
let clientB: Pems;
/** CNs of the client certificates the upstream saw, in order. */
const seen: string[] = [];

const CA_ID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e01';
const OTHER_CA_ID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e02';
const CLIENT_ID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e03';

function config(client: Pems): string {
  const url = `https://localhost:${upstreamPort}`;
  return stringify({
    _format_version: '3.0',
    certificates: [{ id: CLIENT_ID, cert: client.cert, key: client.key }],
    ca_certificates: [
      { id: CA_ID, cert: serverCa.cert },
      { id: OTHER_CA_ID, cert: otherCa.cert },
    ],
    services: [
      { name: 'mtls', url, tls_verify: true, client_certificate: { id: CLIENT_ID }, ca_certificates: [CA_ID], retries: 0, routes: [{ name: 'mtls', paths: ['/mtls'] }] },
      { name: 'no-client-cert', url, tls_verify: true, ca_certificates: [CA_ID], retries: 0, routes: [{ name: 'no-client-cert', paths: ['/anonymous'] }] },
      { name: 'wrong-ca', url, tls_verify: true, client_certificate: { id: CLIENT_ID }, ca_certificates: [OTHER_CA_ID], retries: 0, routes: [{ name: 'wrong-ca', paths: ['/wrong-ca'] }] },
    ],
  });
}

before(async () => {
  clientCa = await makeCa('Upstream Client CA');
  serverCa = await makeCa('Upstream Server CA');
  otherCa = await makeCa('Some Other CA');
  clientA = await makeLeaf(['gateway-a'], { ca: clientCa, clientAuth: true });
  clientB = await makeLeaf(['gateway-b'], { ca: clientCa, clientAuth: true });
  const serverCert = await makeLeaf(['localhost'], { ca: serverCa });
  // The upstream insists on a client certificate from clientCa.
  upstream = createServer({ key: serverCert.key, cert: serverCert.cert, ca: clientCa.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
    seen.push(String(cn));
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`hello ${String(cn)}`);
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamPort = (upstream.address() as AddressInfo).port;
  const file = await writeConfig(config(clientA));
  // No --upstream-trusted-ca: only the services' ca_certificates can verify the upstream.
  runtime = await startRuntime(['--config', file, '--workers', '1']);
});

after(async () => {
  await runtime?.stop();
  upstream?.close();
});

test('client_certificate: the upstream gets the service certificate (mTLS); without one it refuses the handshake (502)', async () => {
  const reply = await request(`${runtime.proxy}/mtls`);
  assert.equal(reply.status, 200, reply.body);
  assert.equal(reply.body, 'hello gateway-a');
  assert.equal((await request(`${runtime.proxy}/anonymous`)).status, 502);
});

test('ca_certificates: the service verifies its upstream against its own CAs only (another CA: 502)', async () => {
  assert.equal((await request(`${runtime.proxy}/wrong-ca`)).status, 502);
});

test('a new client certificate by POST /config is what the next upstream connection presents', async () => {
  const reply = await request(`${runtime.admin}/config?wait=1`, { method: 'POST', body: config(clientB), headers: { 'content-type': 'application/yaml' } });
  assert.equal(reply.status, 201, reply.body);
  const after = await request(`${runtime.proxy}/mtls`);
  assert.equal(after.status, 200);
  assert.equal(after.body, 'hello gateway-b');
  assert.equal(seen.at(-1), 'gateway-b');
});
