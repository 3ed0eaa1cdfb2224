// The TLS proxy listener (issue 17 item 1): every worker serves the same router, plugins and
// upstream path over TLS as over plain HTTP; X-Forwarded-Proto/-Port say https and the TLS port;
// the default certificate is a self-signed one made at start (and said so in the log) or
// --ssl-cert/--ssl-cert-key; TLS 1.2 and 1.3 only; session tickets every worker can open; hostile
// input on the TLS port (plain HTTP, garbage, a handshake never finished) is answered or closed,
// the last by the handshake timeout on the wheel, with the worker's memory bounded.
// Certificates are made at test time (test/helpers/tls.ts).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from '../helpers/http.ts';
import { parseResponse, RawConnection } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { handshake, makeCa, makeLeaf, tlsRequest } from '../helpers/tls.ts';
import { echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

let app: Upstream;
let runtime: Runtime;
let config: string;

interface WorkerTls {
  handshakes: number;
  resumed: number;
  failed: number;
  timedOut: number;
  notTls: number;
  pending: number;
}
interface WorkerEntry {
  worker: number;
  status: { tls: WorkerTls | null; heap_used: number };
}

async function workers(rt: Runtime): Promise<WorkerEntry[]> {
  const reply = await request(`${rt.admin}/workers`);
  return (JSON.parse(reply.body) as { data: WorkerEntry[] }).data;
}

function port(url: string): number {
  return Number(new URL(url).port);
}

before(async () => {
  app = await startUpstream(echoHandler);
  config = await writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${app.url}
    routes:
      - name: app
        paths: [/app]
`);
  runtime = await startRuntime(['--config', config, '--workers', '2', '--ssl-handshake-timeout', '400']);
});

after(async () => {
  await runtime?.stop();
  await app?.close();
});

test('a TLS request takes the same route to the same upstream as a plain one, with X-Forwarded-Proto https and the TLS port', async () => {
  assert.match(runtime.proxySsl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const reply = await tlsRequest(runtime.proxySsl, { path: '/app/x?q=1' });
  assert.equal(reply.status, 200);
  const seen = JSON.parse(reply.body) as { url: string; headers: Record<string, string> };
  assert.equal(seen.url, '/x?q=1');
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal(seen.headers['x-forwarded-port'], String(port(runtime.proxySsl)));
  // A client's own X-Forwarded-Proto does not pass through.
  const spoofed = await request(`${runtime.proxy}/app/x`, { headers: { 'x-forwarded-proto': 'https' } });
  const plain = JSON.parse(spoofed.body) as { headers: Record<string, string> };
  assert.equal(plain.headers['x-forwarded-proto'], 'http');
  assert.equal(plain.headers['x-forwarded-port'], String(port(runtime.proxy)));
  // No route: the same 404 over TLS.
  assert.equal((await tlsRequest(runtime.proxySsl, { path: '/nothing' })).status, 404);
});

/**
 * The TLS records a server sends on a connection, read from under the TLS client: a raw TCP
 * socket is the client's transport and keeps every byte it receives.
 */
async function recordsOfResponses(requests: number): Promise<{ records: number[]; statuses: number[] }> {
  const raw = connect({ host: '127.0.0.1', port: port(runtime.proxySsl) });
  await once(raw, 'connect');
  let received = Buffer.alloc(0);
  const transport = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      raw.write(chunk, callback);
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
    received = Buffer.concat([received, chunk]);
    if (!transport.push(chunk)) raw.pause();
  });
  raw.on('end', () => transport.push(null));
  // TLS 1.2: after the handshake, application data is the only record type 23 (under 1.3 the
  // session tickets travel as type 23 too).
  const socket = tlsConnect({ socket: transport, maxVersion: 'TLSv1.2', rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  // Decrypted bytes, gathered by one listener (several records may be read in one turn).
  let plain = Buffer.alloc(0);
  let more: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    plain = Buffer.concat([plain, chunk]);
    more?.();
  });
  const statuses: number[] = [];
  const records: number[] = [];
  for (let i = 0; i < requests; i++) {
    const mark = received.length;
    plain = Buffer.alloc(0);
    socket.write(`GET /app/records-${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    for (;;) {
      const parsed = parseResponse(plain, false, false);
      if (parsed !== null) {
        statuses.push(parsed.response.status);
        break;
      }
      await new Promise<void>((resolve) => (more = resolve));
      more = null;
    }
    let count = 0;
    for (let at = mark; at + 5 <= received.length; at += 5 + received.readUInt16BE(at + 3)) if (received[at] === 23) count++;
    records.push(count);
  }
  socket.destroy();
  return { records, statuses };
}

test('over TLS a response, head and body, leaves in one TLS record: no second record for Nagle and delayed ACKs to hold back', async () => {
  const { records, statuses } = await recordsOfResponses(3);
  assert.deepEqual(statuses, [200, 200, 200]);
  assert.deepEqual(records, [1, 1, 1]);
});

test('without --ssl-cert the default certificate is a self-signed one made at start, and the log says so', async () => {
  const line = await runtime.waitForLog((entry) => typeof entry.msg === 'string' && entry.msg.includes('self-signed certificate generated at start'));
  assert.equal(line.level, 'warn');
  const reply = await tlsRequest(runtime.proxySsl, { path: '/app' });
  assert.equal(reply.subject, 'localhost');
  // Every worker serves the same one (the primary made it): its fingerprint is the one logged.
  for (let i = 0; i < 6; i++) assert.equal((await handshake(port(runtime.proxySsl), { servername: 'any.example' })).subject, 'localhost');
});

test('TLS 1.2 and 1.3 are served, TLS 1.1 is refused', async () => {
  assert.equal((await tlsRequest(runtime.proxySsl, { path: '/app', maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
  assert.equal((await tlsRequest(runtime.proxySsl, { path: '/app' })).protocol, 'TLSv1.3');
  await assert.rejects(tlsRequest(runtime.proxySsl, { path: '/app', minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));
});

test('a session ticket from one connection resumes on fresh connections, whichever worker takes them', async () => {
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    const first = await tlsRequest(runtime.proxySsl, { path: '/app', maxVersion });
    assert.equal(first.reused, false);
    assert.ok(first.session !== null, 'the server issued a ticket');
    const before = await workers(runtime);
    // The kernel spreads connections over both workers (SO_REUSEPORT hashes the client port):
    // go on until each worker has resumed at least one session, every one of them resumed.
    for (let i = 0; i < 64; i++) {
      const next = await tlsRequest(runtime.proxySsl, { path: '/app', maxVersion, session: first.session! });
      assert.equal(next.status, 200);
      assert.equal(next.reused, true, `connection ${i} (${maxVersion}) resumed`);
      if (i < 3) continue;
      const now = await workers(runtime);
      if (now.every((entry, n) => entry.status.tls!.resumed > before[n]!.status.tls!.resumed)) break;
    }
    const now = await workers(runtime);
    assert.equal(now.length, 2);
    for (const [n, entry] of now.entries()) assert.ok(entry.status.tls!.resumed > before[n]!.status.tls!.resumed, `worker ${entry.worker} resumed a ${maxVersion} session`);
  }
});

test('plain HTTP on the TLS port gets 400 "The plain HTTP request was sent to HTTPS port" and the connection is closed', async () => {
  const connection = await RawConnection.open(`http://127.0.0.1:${port(runtime.proxySsl)}`);
  connection.write('GET /app HTTP/1.1\r\nHost: x\r\n\r\n');
  const response = await connection.readResponse();
  assert.equal(response.status, 400);
  assert.match(response.body.toString(), /plain HTTP request was sent to HTTPS port/);
  await connection.waitForEnd();
});

test('garbage instead of a ClientHello, a broken ClientHello and a handshake never finished are all closed; memory stays bounded', async () => {
  const sslPort = port(runtime.proxySsl);
  const closes = (bytes: Buffer | null): Promise<number> =>
    new Promise((resolve) => {
      const started = Date.now();
      const socket = connect(sslPort, '127.0.0.1', () => {
        if (bytes !== null) socket.write(bytes);
      });
      socket.on('error', () => {});
      socket.resume();
      socket.on('close', () => resolve(Date.now() - started));
    });
  const before = await workers(runtime);
  // Not TLS at all: closed at once.
  await closes(Buffer.from([0x00, 0x01, 0x02, 0xff]));
  // A TLS record header with a nonsense handshake: the TLS stack's alert, then closed.
  await closes(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]));
  // A ClientHello that never finishes, and a connection that sends nothing: the handshake timeout
  // (400 ms here) ends both; they would otherwise stay open (no other timer runs before a request).
  await Promise.all([closes(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])), closes(null)]);
  const now = await workers(runtime);
  const sum = (list: WorkerEntry[], key: keyof WorkerTls): number => list.reduce((total, entry) => total + entry.status.tls![key], 0);
  assert.equal(sum(now, 'notTls') - sum(before, 'notTls'), 1);
  assert.equal(sum(now, 'failed') - sum(before, 'failed'), 1);
  assert.equal(sum(now, 'timedOut') - sum(before, 'timedOut'), 2);

  // Many at once: 300 stalled handshakes and 300 garbage connections all end, nothing stays pending.
  const heapBefore = Math.max(...now.map((entry) => entry.status.heap_used));
  const all: Promise<number>[] = [];
  for (let i = 0; i < 300; i++) {
    all.push(closes(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])));
    all.push(closes(Buffer.from('\x00garbage')));
  }
  await Promise.all(all);
  await delay(100);
  const end = await workers(runtime);
  assert.equal(sum(end, 'pending'), 0);
  assert.ok(sum(end, 'timedOut') - sum(now, 'timedOut') >= 300);
  const heapAfter = Math.max(...end.map((entry) => entry.status.heap_used));
  assert.ok(heapAfter - heapBefore < 64 * 1024 * 1024, `heap grew ${heapAfter - heapBefore} bytes`);
  // And the listener still serves.
  assert.equal((await tlsRequest(runtime.proxySsl, { path: '/app' })).status, 200);
});

test('--ssl-cert/--ssl-cert-key: that certificate is served and verifies against its CA; a key of another certificate stops the start', async (t) => {
  const ca = await makeCa('Sluice Test CA');
  const leaf = await makeLeaf(['localhost'], { ca });
  const other = await makeLeaf(['localhost'], { ca });
  const dir = dirname(config);
  await writeFile(join(dir, 'server.crt'), leaf.cert);
  await writeFile(join(dir, 'server.key'), leaf.key);
  await writeFile(join(dir, 'other.key'), other.key);
  const own = await startRuntime(['--config', config, '--workers', '1', '--ssl-cert', join(dir, 'server.crt'), '--ssl-cert-key', join(dir, 'server.key')]);
  t.after(() => own.stop());
  const reply = await tlsRequest(own.proxySsl.replace('127.0.0.1', 'localhost'), { path: '/app', ca: ca.cert, servername: 'localhost' });
  assert.equal(reply.status, 200);
  assert.equal(reply.subject, 'localhost');
  assert.ok(!own.logs.some((entry) => typeof entry.msg === 'string' && entry.msg.includes('self-signed')));
  await assert.rejects(startRuntime(['--config', config, '--workers', '1', '--ssl-cert', join(dir, 'server.crt'), '--ssl-cert-key', join(dir, 'other.key')], { timeoutMs: 60_000 }), (error: Error) => {
    assert.match(error.message, /does not match the certificate/);
    assert.doesNotMatch(error.message, /PRIVATE KEY/);
    return true;
  });
});

test('--ssl-port off: no TLS listener', async (t) => {
  const plain = await startRuntime(['--config', config, '--workers', '1', '--ssl-port', 'off']);
  t.after(() => plain.stop());
  assert.equal(plain.proxySsl, '');
  const status = (await workers(plain))[0]!.status;
  assert.equal(status.tls, null);
});

test('session ticket keys rotate on the wheel: after a period a ticket no longer resumes (a full handshake, not a failure)', async (t) => {
  const rotating = await startRuntime(['--config', config, '--workers', '1', '--ssl-ticket-rotation', '1000']);
  t.after(() => rotating.stop());
  const first = await tlsRequest(rotating.proxySsl, { path: '/app', maxVersion: 'TLSv1.2' });
  await delay(2100);
  const later = await tlsRequest(rotating.proxySsl, { path: '/app', maxVersion: 'TLSv1.2', session: first.session! });
  assert.equal(later.status, 200);
  assert.equal(later.reused, false);
  const timers = JSON.parse((await request(`${rotating.admin}/timers`)).body) as unknown;
  assert.match(JSON.stringify(timers), /tls-ticket-key-rotation/);
});

test('the handshake timeout runs on the timer wheel', async () => {
  const timers = JSON.parse((await request(`${runtime.admin}/timers`)).body) as unknown;
  assert.match(JSON.stringify(timers), /tls-handshake-timeout/);
});
