// Certificates from the declarative config (issue 17 items 2 and 3): SNI selection as Kong (exact,
// `*.example.com`, `example.*`, `*`, else the default), hot swap by POST /config while a TLS
// connection stays open (it keeps its certificate and keeps serving; new handshakes get the new
// one; only the worker's TLS state is rebuilt, counted under component `tls`), private keys never in
// logs, errors or GET /config without an Admin token, route snis and https-only routes; the
// certificate chosen from the ClientHello's server name before the handshake (sessions of it
// resume on every worker; a hello split over segments gets it too; a broken one is refused).
// Certificates are made at test time (test/helpers/tls.ts).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { parse as parseYaml, stringify } from 'yaml';
import { request } from '../helpers/http.ts';
import { parseResponse } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { handshake, makeCa, makeLeaf, tlsRequest, type Pems } from '../helpers/tls.ts';
import { echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

let app: Upstream;
let runtime: Runtime;
let ca: Pems;
let apiV1: Pems;
let apiV2: Pems;
let wildcard: Pems;
let suffix: Pems;
let star: Pems;
let expired: Pems;
let rsaAlt: Pems;

const API_CERT_ID = '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01';

function config(api: { cert: string; key: string }, extra: { star?: boolean; expired?: boolean } = {}): string {
  const certificates: Record<string, unknown>[] = [
    { id: API_CERT_ID, ...api, snis: [{ name: 'api.example.com' }] },
    { cert: wildcard.cert, key: wildcard.key, snis: ['*.example.com'] },
    { cert: suffix.cert, key: suffix.key, snis: ['example.*'] },
  ];
  if (extra.star === true) certificates.push({ cert: star.cert, key: star.key, snis: ['*'] });
  if (extra.expired === true) certificates.push({ cert: expired.cert, key: expired.key, snis: ['old.example.net'] });
  return stringify({
    _format_version: '3.0',
    certificates,
    services: [
      {
        name: 'app',
        url: app.url,
        routes: [
          { name: 'any', paths: ['/app'] },
          { name: 'by-sni', paths: ['/sni'], protocols: ['https'], snis: ['api.example.com'] },
          { name: 'mixed-sni', paths: ['/mixed'], protocols: ['http', 'https'], snis: ['api.example.com'] },
          { name: 'tls-only', paths: ['/secure'], protocols: ['https'] },
          { name: 'tls-redirect', paths: ['/moved'], protocols: ['https'], https_redirect_status_code: 308 },
        ],
      },
    ],
  });
}

function sslPort(): number {
  return Number(new URL(runtime.proxySsl).port);
}

interface WorkerView {
  status: { rebuilds: Record<string, Record<string, number>>; updates: Record<string, Record<string, { times: number }>>; tls: { snis: number } };
}

async function workerViews(rt: Runtime): Promise<WorkerView[]> {
  return (JSON.parse((await request(`${rt.admin}/workers`)).body) as { data: WorkerView[] }).data;
}

function total(record: Record<string, number> | undefined): number {
  return Object.values(record ?? {}).reduce((sum, n) => sum + n, 0);
}

async function post(rt: Runtime, text: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const reply = await request(`${rt.admin}/config?wait=1&flatten_errors=1`, { method: 'POST', body: text, headers: { 'content-type': 'application/yaml', ...headers } });
  return { status: reply.status, body: JSON.parse(reply.body) as Record<string, unknown> };
}

before(async () => {
  app = await startUpstream(echoHandler);
  ca = await makeCa('Sluice Integration CA');
  apiV1 = await makeLeaf(['api.example.com'], { ca });
  apiV2 = await makeLeaf(['api.example.com'], { ca });
  wildcard = await makeLeaf(['*.example.com'], { ca });
  suffix = await makeLeaf(['example.org', 'example.net'], { ca });
  star = await makeLeaf(['catch-all.test'], { ca });
  // selfsigned signs with the leaf's key type: the RSA alternative is self-signed.
  rsaAlt = await makeLeaf(['api.example.com'], { keyType: 'rsa' });
  expired = await makeLeaf(['old.example.net'], { ca, notBefore: new Date(Date.now() - 5 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  const file = await writeConfig(config(apiV1));
  runtime = await startRuntime(['--config', file, '--workers', '2']);
});

after(async () => {
  await runtime?.stop();
  await app?.close();
});

test('SNI selects the certificate as Kong: exact, then *.prefix, then suffix.*, else the default; they verify against their CA', async () => {
  const exact = await handshake(sslPort(), { servername: 'api.example.com', ca: ca.cert });
  assert.deepEqual([exact.subject, exact.authorized], ['api.example.com', true]);
  const prefix = await handshake(sslPort(), { servername: 'www.example.com', ca: ca.cert });
  assert.deepEqual([prefix.subject, prefix.authorized], ['*.example.com', true]);
  // `*.example.com` covers one label only: a.b.example.com falls through to `example.*`? No: its
  // suffix wildcard is `a.b.example.*`; nothing matches, so the default answers.
  assert.equal((await handshake(sslPort(), { servername: 'a.b.example.com' })).subject, 'localhost');
  const suffixed = await handshake(sslPort(), { servername: 'example.org', ca: ca.cert });
  assert.deepEqual([suffixed.subject, suffixed.authorized], ['example.org', true]);
  assert.equal((await handshake(sslPort(), { servername: 'unknown.test' })).subject, 'localhost');
  // No server name at all (an IP literal host): the default certificate.
  assert.equal((await handshake(sslPort())).subject, 'localhost');
  // Every worker has the same table.
  for (const view of await workerViews(runtime)) assert.equal(view.status.tls.snis, 3);
});

test('a certificate changed by POST /config: a TLS connection open across it keeps serving, new handshakes get the new certificate, only the TLS state is rebuilt', async () => {
  const socket = connect({ host: '127.0.0.1', port: sslPort(), servername: 'api.example.com', ca: ca.cert });
  await once(socket, 'secureConnect');
  const before = (socket as TLSSocket).getPeerCertificate().fingerprint256;
  const ask = async (): Promise<number> => {
    socket.write('GET /app/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n');
    let buffer = Buffer.alloc(0);
    for (;;) {
      const parsed = parseResponse(buffer, false, false);
      if (parsed !== null) return parsed.response.status;
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      buffer = Buffer.concat([buffer, chunk]);
    }
  };
  assert.equal(await ask(), 200);
  const viewsBefore = await workerViews(runtime);

  const swapped = await post(runtime, config(apiV2, { star: true }));
  assert.equal(swapped.status, 201, JSON.stringify(swapped.body));

  // The open connection: same socket, same certificate, still served.
  assert.equal(await ask(), 200);
  assert.equal(socket.destroyed, false);
  assert.equal((socket as TLSSocket).getPeerCertificate().fingerprint256, before);
  socket.destroy();

  // New handshakes: the new certificate, and the new `*` entry catches unknown names.
  const fresh = await handshake(sslPort(), { servername: 'api.example.com', ca: ca.cert });
  assert.equal(fresh.authorized, true);
  const freshSocket = connect({ host: '127.0.0.1', port: sslPort(), servername: 'api.example.com', ca: ca.cert });
  await once(freshSocket, 'secureConnect');
  assert.notEqual(freshSocket.getPeerCertificate().fingerprint256, before);
  freshSocket.destroy();
  assert.equal((await handshake(sslPort(), { servername: 'unknown.test' })).subject, 'catch-all.test');
  // Requests with no server name still get the default (Kong: `*` is for names nothing matched).
  assert.equal((await handshake(sslPort())).subject, 'localhost');

  // Gated: the TLS state was rebuilt once per worker for this change; the router was neither rebuilt nor updated.
  for (const [n, view] of (await workerViews(runtime)).entries()) {
    const was = viewsBefore[n]!.status;
    const now = view.status;
    assert.equal(total(now.rebuilds.tls) - total(was.rebuilds.tls), 1, `worker ${n} rebuilt its TLS state`);
    assert.ok((now.rebuilds.tls ?? {})['certificates+snis'] !== undefined, JSON.stringify(now.rebuilds.tls));
    assert.equal(total(now.rebuilds.router), total(was.rebuilds.router));
    assert.deepEqual(now.updates.router, was.updates.router);
    assert.equal(total(now.rebuilds.plugins), total(was.rebuilds.plugins));
    assert.equal(now.tls.snis, 4);
  }
  const metrics = (await request(`${runtime.admin}/metrics`)).body;
  assert.match(metrics, /sluice_rebuilds_total\{[^}]*component="tls"[^}]*\} [1-9]/);

  // Back to v1 for the other tests.
  assert.equal((await post(runtime, config(apiV1))).status, 201);
});

test('an invalid certificate is refused whole with its entity and field, the last good one keeps serving, and no key appears in the answer or the logs', async () => {
  // A key of another certificate, and a key whose private part was spliced from another key (its
  // embedded public key still the certificate's: only a signature check tells).
  const lines = apiV1.key.split('\n');
  const spliced = [lines[0], wildcard.key.split('\n')[1], ...lines.slice(2)].join('\n');
  for (const key of [wildcard.key, spliced]) {
    const reply = await post(runtime, config({ cert: apiV1.cert, key }));
    assert.equal(reply.status, 400, JSON.stringify(reply.body));
  }
  // With a second pair too: key_alt is a secret as well.
  const refused = await post(runtime, config({ cert: apiV1.cert, key: spliced, cert_alt: rsaAlt.cert, key_alt: rsaAlt.key } as Pems));
  assert.equal(refused.status, 400);
  const errors = refused.body.flattened_errors as Array<{ entity_type: string; entity_id: string; errors: Array<{ field: string; message: string }> }>;
  assert.ok(errors.some((e) => e.entity_type === 'certificate' && e.entity_id === API_CERT_ID && e.errors.some((x) => x.field === 'key' && x.message === 'certificate does not match key')), JSON.stringify(errors));
  const body = JSON.stringify(refused.body);
  assert.doesNotMatch(body, /PRIVATE KEY/);
  // Neither key's bytes (certificates, which are public, may be echoed).
  for (const pem of [spliced, rsaAlt.key]) for (const line of pem.split('\n').slice(1, -2)) if (line.length > 20) assert.ok(!body.includes(line), 'a key line was echoed');
  assert.equal((await handshake(sslPort(), { servername: 'api.example.com', ca: ca.cert })).authorized, true);

  // An expired certificate loads, with a warning in the answer and the log.
  const withExpired = await post(runtime, config(apiV1, { expired: true }));
  assert.equal(withExpired.status, 201);
  assert.match(JSON.stringify(withExpired.body.warnings), /expired/);
  await runtime.waitForLog((line) => line.msg === 'config accepted with warnings');
  assert.equal((await handshake(sslPort(), { servername: 'old.example.net' })).subject, 'old.example.net');

  assert.doesNotMatch(JSON.stringify(runtime.logs), /PRIVATE KEY/);
});

test('GET /config shows private keys only to an authenticated Admin API', async (t) => {
  // Kong's shape: {"config": "<yaml>"}.
  const shown = parseYaml((JSON.parse((await request(`${runtime.admin}/config`)).body) as { config: string }).config) as { certificates: Array<{ key: string; cert: string }> };
  assert.ok(shown.certificates.length >= 3);
  for (const certificate of shown.certificates) {
    assert.match(certificate.cert, /BEGIN CERTIFICATE/);
    assert.doesNotMatch(certificate.key, /PRIVATE KEY/);
  }
  const file = await writeConfig(config(apiV1));
  const guarded = await startRuntime(['--config', file, '--workers', '1', '--admin-token', 'secret-token']);
  t.after(() => guarded.stop());
  const reply = await request(`${guarded.admin}/config`, { headers: { authorization: 'Bearer secret-token' } });
  const full = parseYaml((JSON.parse(reply.body) as { config: string }).config) as { certificates: Array<{ key: string }> };
  assert.ok(full.certificates.some((certificate) => certificate.key === apiV1.key));
  // The Kong list endpoint never shows keys.
  const listed = JSON.parse((await request(`${guarded.admin}/certificates`, { headers: { authorization: 'Bearer secret-token' } })).body) as { data: Array<{ key: string; cert: string }> };
  assert.equal(listed.data.length, 3);
  for (const certificate of listed.data) assert.doesNotMatch(certificate.key, /PRIVATE KEY/);
  const snis = JSON.parse((await request(`${guarded.admin}/snis`, { headers: { authorization: 'Bearer secret-token' } })).body) as { data: Array<{ name: string }> };
  assert.deepEqual(snis.data.map((sni) => sni.name).sort(), ['*.example.com', 'api.example.com', 'example.*']);
  assert.equal((await request(`${guarded.admin}/config`)).status, 401);
});

test('route snis: over TLS only the listed server names reach the route; https-only routes answer plain HTTP with 426 or their redirect', async () => {
  const hit = await tlsRequest(runtime.proxySsl, { path: '/sni/x', servername: 'api.example.com', ca: ca.cert, headers: { host: 'api.example.com' } });
  assert.equal(hit.status, 200);
  assert.equal((JSON.parse(hit.body) as { url: string }).url, '/x');
  const other = await tlsRequest(runtime.proxySsl, { path: '/sni/x', servername: 'www.example.com', ca: ca.cert, headers: { host: 'www.example.com' } });
  assert.equal(other.status, 404);
  assert.equal((await tlsRequest(runtime.proxySsl, { path: '/sni/x' })).status, 404);

  const plain = await request(`${runtime.proxy}/secure`);
  assert.equal(plain.status, 426);
  assert.equal(JSON.parse(plain.body).message, 'Please use HTTPS protocol');
  assert.equal((await tlsRequest(runtime.proxySsl, { path: '/secure' })).status, 200);
  const moved = await request(`${runtime.proxy}/moved/a?b=1`, { headers: { host: 'shop.example.com' } });
  assert.equal(moved.status, 308);
  assert.equal(moved.headers.location, 'https://shop.example.com/moved/a?b=1');
  // A route with snis is https-only too.
  assert.equal((await request(`${runtime.proxy}/sni/x`)).status, 426);
});

test('route snis on an [http, https] route (Kong allows it): TLS needs a listed server name, plain HTTP matches without one', async () => {
  const hit = await tlsRequest(runtime.proxySsl, { path: '/mixed/x', servername: 'api.example.com', ca: ca.cert, headers: { host: 'api.example.com' } });
  assert.equal(hit.status, 200);
  assert.equal((JSON.parse(hit.body) as { url: string }).url, '/x');
  const other = await tlsRequest(runtime.proxySsl, { path: '/mixed/x', servername: 'www.example.com', ca: ca.cert, headers: { host: 'www.example.com' } });
  assert.equal(other.status, 404);
  const plain = await request(`${runtime.proxy}/mixed/x`);
  assert.equal(plain.status, 200);
  assert.equal((JSON.parse(plain.body) as { url: string }).url, '/x');
});

interface WorkerTlsCounters {
  worker: number;
  status: { tls: { resumed: number; handshakes: number; failed: number } };
}

async function tlsCounters(rt: Runtime): Promise<WorkerTlsCounters[]> {
  return (JSON.parse((await request(`${rt.admin}/workers`)).body) as { data: WorkerTlsCounters[] }).data;
}

test('a session of a certificate SNI selected resumes on every worker, TLS 1.2 and 1.3 (its context carries the shared ticket keys)', async () => {
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    const first = await tlsRequest(runtime.proxySsl, { path: '/app', servername: 'api.example.com', ca: ca.cert, maxVersion });
    assert.deepEqual([first.status, first.subject, first.reused], [200, 'api.example.com', false]);
    assert.ok(first.session !== null, 'the server issued a ticket');
    const before = await tlsCounters(runtime);
    // SO_REUSEPORT spreads connections over both workers: go on until each has resumed one.
    for (let i = 0; i < 64; i++) {
      const next = await tlsRequest(runtime.proxySsl, { path: '/app', servername: 'api.example.com', maxVersion, session: first.session! });
      assert.equal(next.status, 200);
      assert.equal(next.reused, true, `connection ${i} (${maxVersion}) resumed`);
      if (i < 3) continue;
      const now = await tlsCounters(runtime);
      if (now.every((entry, n) => entry.status.tls.resumed > before[n]!.status.tls.resumed)) break;
    }
    for (const [n, entry] of (await tlsCounters(runtime)).entries()) assert.ok(entry.status.tls.resumed > before[n]!.status.tls.resumed, `worker ${entry.worker} resumed a ${maxVersion} session`);
  }
});

/**
 * A handshake whose ClientHello reaches the server in two pieces (the first 20 bytes, then the
 * rest a moment later): the server cannot read the name from its first bytes.
 */
async function splitHelloHandshake(servername: string): Promise<string> {
  const raw = netConnect({ host: '127.0.0.1', port: sslPort() });
  await once(raw, 'connect');
  raw.setNoDelay(true);
  let first = true;
  const transport = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (!first) return void raw.write(chunk, callback);
      first = false;
      raw.write(chunk.subarray(0, 20));
      setTimeout(() => raw.write(chunk.subarray(20), callback), 50);
    },
    final(callback) {
      raw.end();
      callback();
    },
    destroy(error, callback) {
      raw.destroy();
      callback(error);
    },
  });
  raw.on('data', (chunk: Buffer) => {
    if (!transport.push(chunk)) raw.pause();
  });
  raw.on('end', () => transport.push(null));
  const socket = connect({ socket: transport, servername, ca: ca.cert, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  const subject = String(socket.getPeerCertificate().subject.CN);
  socket.destroy();
  return subject;
}

test('a ClientHello split over TCP segments still gets the certificate of its server name; a broken server_name is refused and the worker serves on', async () => {
  assert.equal(await splitHelloHandshake('api.example.com'), 'api.example.com');
  assert.equal(await splitHelloHandshake('www.example.com'), '*.example.com');
  assert.equal(await splitHelloHandshake('unknown.test'), 'localhost');

  // A real hello whose host name length overruns its extension: OpenSSL refuses it.
  const hello = await new Promise<Buffer>((resolve) => {
    const server = createNetServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        socket.destroy();
        server.close();
        resolve(chunk);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'api.example.com', rejectUnauthorized: false });
      client.on('error', () => {});
    });
  });
  const at = hello.indexOf(Buffer.from('api.example.com'));
  hello.writeUInt16BE(0x7fff, at - 2);
  const before = await tlsCounters(runtime);
  for (let i = 0; i < 4; i++) {
    const raw = netConnect({ host: '127.0.0.1', port: sslPort() });
    raw.on('error', () => {});
    raw.write(hello);
    raw.resume();
    await once(raw, 'close');
  }
  const after = await tlsCounters(runtime);
  const failed = after.reduce((sum, entry, n) => sum + entry.status.tls.failed - before[n]!.status.tls.failed, 0);
  assert.equal(failed, 4);
  assert.equal((await handshake(sslPort(), { servername: 'api.example.com', ca: ca.cert })).subject, 'api.example.com');
});
