// HTTP/2 downstream, h2c with prior knowledge on the plain port (--h2c), through a spawned
// `node runtime`: node:http2 and curl clients reach the same router, plugins and HTTP/1.1
// upstream connector; connection-specific fields are dropped both ways; the stream limit queues
// a well-behaved client and refuses a client that ignores it; a rapid-reset flood gets GOAWAY
// ENHANCE_YOUR_CALM and the connection closed; limits and refusals as on HTTP/1.1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect as h2connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { CANCEL, END_HEADERS, END_STREAM, frame, getHeaderBlock, GOAWAY, HEADERS, RawH2, rst } from '../helpers/h2-frames.ts';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { scrape, sum } from '../metrics/scrape.ts';

const MAX_STREAMS = 100;
const MAX_RESETS = 50;
let runtime: Runtime;
let upstream: Server;
let port: number;
/** Requests the /slow route holds at once, and the most it ever held. */
let holding = 0;
let mostHeld = 0;
const held: ServerResponse[] = [];

function upstreamHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url!.startsWith('/slow')) {
    holding++;
    mostHeld = Math.max(mostHeld, holding);
    held.push(res);
    res.on('close', () => holding--);
    return;
  }
  if (req.url!.startsWith('/flood')) {
    // 32 MiB for a client that may not read it; written with backpressure.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    let sent = 0;
    const pump = (): void => {
      while (sent < 32 * 1024 * 1024) {
        sent += chunk.length;
        (res as ServerResponse & { sluiceSent?: number }).sluiceSent = sent;
        floodSent = sent;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    // Connection-specific fields the gateway must not pass to an HTTP/2 client.
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'x-upstream': 'yes' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: body.length, httpVersion: req.httpVersion }));
  });
}
let floodSent = 0;

before(async () => {
  upstream = createServer(upstreamHandler);
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const config = await writeConfig(`_format_version: "3.0"
services:
  - name: echo
    url: ${url}
    routes:
      - name: echo
        paths: [/echo]
      - name: slow
        paths: [/slow]
        strip_path: false
      - name: flood
        paths: [/flood]
        strip_path: false
      - name: secret
        paths: [/secret]
plugins:
  - name: key-auth
    route: secret
consumers:
  - username: alice
    keyauth_credentials:
      - key: alice-key
`);
  runtime = await startRuntime(['--config', config, '--workers', '1', '--h2c', '--h2-max-concurrent-streams', String(MAX_STREAMS), '--h2-max-resets', String(MAX_RESETS), '--client-max-body-size', '2000000']);
  port = Number(new URL(runtime.proxy).port);
});

after(async () => {
  for (const res of held) res.destroy();
  await runtime.stop();
  upstream.closeAllConnections();
  upstream.close();
});

async function h2Session(): Promise<ClientHttp2Session> {
  const session = h2connect(runtime.proxy);
  session.on('error', () => {});
  await once(session, 'connect');
  return session;
}

interface H2Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function h2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let replyHeaders: IncomingHttpHeaders = {};
    stream.on('response', (h) => (replyHeaders = h));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status: Number(replyHeaders[':status']), headers: replyHeaders, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

test('h2c prior knowledge: a GET and a POST reach the upstream over HTTP/1.1; :authority is the Host; connection-specific fields dropped', async (t) => {
  const session = await h2Session();
  t.after(() => session.close());
  const get = await h2Request(session, { ':path': '/echo/a?x=1', ':authority': 'api.example:8000', cookie: 'a=1', 'x-under_score': 'dropped', 'x-test': 'kept' });
  // A second cookie field: node:http2 sends each `cookie` entry of an array as its own field.
  assert.equal(get.status, 200);
  assert.equal(get.headers['x-upstream'], 'yes');
  assert.equal(get.headers.connection, undefined);
  assert.equal(get.headers['keep-alive'], undefined);
  assert.equal(get.headers.via, '1.1 sluice');
  const seen = JSON.parse(get.body.toString()) as { url: string; headers: Record<string, string>; httpVersion: string };
  assert.equal(seen.httpVersion, '1.1');
  assert.equal(seen.url, '/a?x=1');
  assert.equal(seen.headers['x-forwarded-host'], 'api.example');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-test'], 'kept');
  assert.equal(seen.headers['x-under_score'], undefined, 'underscore names dropped as on HTTP/1.1');
  for (const name of Object.keys(seen.headers)) assert.ok(!name.startsWith(':'), `no pseudo-header forwarded: ${name}`);
  const body = Buffer.alloc(1_000_000, 0x63);
  const post = await h2Request(session, { ':method': 'POST', ':path': '/echo/upload', 'content-type': 'application/octet-stream' }, body);
  assert.equal(post.status, 200);
  const posted = JSON.parse(post.body.toString()) as { method: string; bodyLength: number };
  assert.equal(posted.method, 'POST');
  assert.equal(posted.bodyLength, body.length);
});

test('h2 by ALPN on the TLS port: HTTP/2 for a client offering it, HTTP/1.1 for one that does not; both say https and the TLS port upstream', async (t) => {
  const tlsPort = new URL(runtime.proxySsl).port;
  // node:http2 offers h2 by ALPN; the runtime's default certificate is self-signed.
  const session = h2connect(runtime.proxySsl, { rejectUnauthorized: false });
  session.on('error', () => {});
  t.after(() => session.close());
  await once(session, 'connect');
  assert.equal((session.socket as TLSSocket).alpnProtocol, 'h2');
  const replies = await Promise.all([1, 2, 3].map((n) => h2Request(session, { ':path': `/echo/over-tls/${n}`, ':authority': 'api.example' })));
  for (const [i, reply] of replies.entries()) {
    assert.equal(reply.status, 200);
    const seen = JSON.parse(reply.body.toString()) as { url: string; headers: Record<string, string>; httpVersion: string };
    assert.equal(seen.url, `/over-tls/${i + 1}`);
    assert.equal(seen.httpVersion, '1.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.equal(seen.headers['x-forwarded-port'], tlsPort);
  }
  const body = Buffer.alloc(1_000_000, 0x74);
  const post = await h2Request(session, { ':method': 'POST', ':path': '/echo/upload', 'content-type': 'application/octet-stream' }, body);
  assert.equal((JSON.parse(post.body.toString()) as { bodyLength: number }).bodyLength, body.length);

  // A client without ALPN (node:https offers none) speaks HTTP/1.1 on the same port.
  const plain = await new Promise<{ version: string; body: string }>((resolve, reject) => {
    httpsGet(`${runtime.proxySsl}/echo/h1`, { rejectUnauthorized: false, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ version: res.httpVersion, body: text }));
    }).on('error', reject);
  });
  assert.equal(plain.version, '1.1');
  const seenH1 = JSON.parse(plain.body) as { url: string; headers: Record<string, string> };
  assert.equal(seenH1.url, '/h1');
  assert.equal(seenH1.headers['x-forwarded-proto'], 'https');
});

test('split cookie fields are joined into one Cookie for the HTTP/1.1 upstream', async (t) => {
  const session = await h2Session();
  t.after(() => session.close());
  const reply = await h2Request(session, { ':path': '/echo/c', cookie: ['a=1', 'b=2'] });
  const seen = JSON.parse(reply.body.toString()) as { headers: Record<string, string> };
  assert.equal(seen.headers.cookie, 'a=1; b=2');
});

test('plugins run on HTTP/2 streams: key-auth answers 401 without a key, passes with one', async (t) => {
  const session = await h2Session();
  t.after(() => session.close());
  const refused = await h2Request(session, { ':path': '/secret' });
  assert.equal(refused.status, 401);
  assert.deepEqual(JSON.parse(refused.body.toString()), { message: 'No API key found in request' });
  const allowed = await h2Request(session, { ':path': '/secret', apikey: 'alice-key' });
  assert.equal(allowed.status, 200);
  assert.equal((JSON.parse(allowed.body.toString()) as { headers: Record<string, string> }).headers['x-consumer-username'], 'alice');
});

test('refusals as on HTTP/1.1: no route 404, a bad :authority 400, CONNECT 405, a body over the limit 413', async (t) => {
  const session = await h2Session();
  t.after(() => session.close());
  assert.equal((await h2Request(session, { ':path': '/nowhere' })).status, 404);
  assert.equal((await h2Request(session, { ':path': '/echo', ':authority': 'example.test:99999' })).status, 400);
  assert.equal((await h2Request(session, { ':method': 'CONNECT', ':authority': 'example.test:443' })).status, 405);
  const status = (headers: OutgoingHttpHeaders, body: Buffer): Promise<number> =>
    new Promise((resolve) => {
      const stream = session.request(headers);
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', () => {});
      stream.write(body);
    });
  // A Content-Length over the limit is refused before any of the body is read.
  assert.equal(await status({ ':method': 'POST', ':path': '/echo', 'content-length': '3000000' }, Buffer.alloc(10)), 413);
  // Without a Content-Length the limit is found while the body streams.
  assert.equal(await status({ ':method': 'POST', ':path': '/echo' }, Buffer.alloc(3_000_000)), 413);
  // The session is still good.
  assert.equal((await h2Request(session, { ':path': '/echo' })).status, 200);
});

test('HTTP/1.1 still works on the same port with --h2c', async () => {
  const reply = await request(`${runtime.proxy}/echo/plain`);
  assert.equal(reply.status, 200);
  assert.equal(reply.json<{ url: string }>().url, '/plain');
});

test('curl --http2-prior-knowledge gets an HTTP/2 answer', async () => {
  const { stdout } = await promisify(execFile)('curl', ['-sS', '--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `${runtime.proxy}/echo/curl`]);
  assert.equal(stdout, '2 200');
});

test(`${MAX_STREAMS + 50} concurrent streams: node:http2 queues past SETTINGS_MAX_CONCURRENT_STREAMS=${MAX_STREAMS}; all complete, never more than ${MAX_STREAMS} at the upstream`, async (t) => {
  const session = await h2Session();
  t.after(() => session.close());
  assert.equal(session.remoteSettings.maxConcurrentStreams, MAX_STREAMS);
  mostHeld = 0;
  const replies = Array.from({ length: MAX_STREAMS + 50 }, (_, i) => h2Request(session, { ':path': `/slow/${i}` }));
  // Wait until the gateway holds its limit, then let the upstream answer everything.
  const until = async (test: () => boolean): Promise<void> => {
    for (let i = 0; i < 300 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  await until(() => holding >= MAX_STREAMS);
  assert.equal(holding, MAX_STREAMS);
  const release = setInterval(() => {
    for (const res of held.splice(0)) if (!res.writableEnded) res.end('done');
  }, 20);
  t.after(() => clearInterval(release));
  const done = await Promise.all(replies);
  assert.ok(done.every((reply) => reply.status === 200 && reply.body.toString() === 'done'));
  assert.equal(mostHeld, MAX_STREAMS);
});

test('a client that ignores the stream limit has the excess streams refused; the others are served', async (t) => {
  const raw = await RawH2.open(port);
  t.after(() => raw.socket.destroy());
  const frames: Buffer[] = [];
  const opened = MAX_STREAMS + 10;
  for (let i = 0; i < opened; i++) frames.push(frame(HEADERS, END_HEADERS | END_STREAM, 1 + 2 * i, getHeaderBlock(`/slow/raw${i}`, 'localhost')));
  raw.socket.write(Buffer.concat(frames));
  for (let i = 0; i < 200 && raw.resets().size < 10; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const resets = raw.resets();
  assert.equal(resets.size, 10, 'exactly the streams past the limit were reset');
  for (const [streamId, code] of resets) {
    assert.ok(streamId > 2 * MAX_STREAMS, `stream ${streamId} was within the limit`);
    assert.ok(code === constants.NGHTTP2_REFUSED_STREAM || code === constants.NGHTTP2_PROTOCOL_ERROR, `RFC 9113 §5.1.2 code, got ${code}`);
  }
  for (const res of held.splice(0)) res.end('done');
});

test('rapid reset: a flood of HEADERS + RST_STREAM gets GOAWAY ENHANCE_YOUR_CALM and the connection closed; others are unaffected', async (t) => {
  const bystander = await h2Session();
  t.after(() => bystander.close());
  const raw = await RawH2.open(port);
  t.after(() => raw.socket.destroy());
  const frames: Buffer[] = [];
  for (let i = 0; i < MAX_RESETS * 4; i++) {
    const id = 1 + 2 * i;
    frames.push(frame(HEADERS, END_HEADERS | END_STREAM, id, getHeaderBlock('/echo/reset', 'localhost')), rst(id, CANCEL));
  }
  raw.socket.write(Buffer.concat(frames));
  for (let i = 0; i < 200 && !raw.closed; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(raw.closed, 'the connection was closed');
  assert.equal(raw.goawayCode(), constants.NGHTTP2_ENHANCE_YOUR_CALM);
  assert.equal(raw.of(GOAWAY).length, 1);
  assert.equal((await h2Request(bystander, { ':path': '/echo/after' })).status, 200);
  const metrics = await scrape(`${runtime.admin}/metrics`);
  assert.equal(sum(metrics, 'sluice_h2_rapid_reset_closed_total'), 1);
  assert.ok(sum(metrics, 'sluice_h2_client_resets_total') > MAX_RESETS);
  assert.ok(sum(metrics, 'sluice_h2_streams_total') > MAX_RESETS);
});

test('flow control: a client that does not read holds the upstream back (its window closes; nothing piles up in the worker)', async (t) => {
  const session = await h2Session();
  t.after(() => session.destroy());
  floodSent = 0;
  const stream = session.request({ ':path': '/flood' });
  stream.on('error', () => {});
  const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  assert.equal(headers[':status'], 200);
  stream.pause();
  let last = -1;
  while (floodSent !== last) {
    last = floodSent;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.ok(floodSent < 16 * 1024 * 1024, `the upstream wrote ${floodSent} bytes for a client that reads nothing`);
  // Reading again lets the rest through.
  let received = 0;
  stream.on('data', (chunk: Buffer) => (received += chunk.length));
  stream.resume();
  await once(stream, 'end');
  assert.equal(received, 32 * 1024 * 1024);
});

test('--keepalive-requests applies to HTTP/2 (GOAWAY after that many streams, open ones finish); an idle session gets GOAWAY before it is closed', async (t) => {
  const config = await writeConfig(`_format_version: "3.0"
services:
  - name: echo
    url: http://127.0.0.1:${(upstream.address() as AddressInfo).port}
    routes:
      - name: echo
        paths: [/echo]
`);
  const own = await startRuntime(['--config', config, '--workers', '1', '--h2c', '--keepalive-requests', '3', '--client-idle-timeout', '1500']);
  t.after(() => own.stop());
  const open = async (): Promise<{ session: ClientHttp2Session; goaway: Promise<number>; closed: Promise<unknown> }> => {
    const session = h2connect(own.proxy);
    session.on('error', () => {});
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
    const closed = once(session, 'close');
    await once(session, 'connect');
    return { session, goaway, closed };
  };

  const first = await open();
  for (let i = 0; i < 3; i++) assert.equal((await h2Request(first.session, { ':path': '/echo' })).status, 200);
  assert.equal(await first.goaway, constants.NGHTTP2_NO_ERROR);
  await assert.rejects(h2Request(first.session, { ':path': '/echo' }));
  await first.closed;

  // The next connection serves as usual; left idle, it is told GOAWAY (NO_ERROR) and then closed.
  const second = await open();
  assert.equal((await h2Request(second.session, { ':path': '/echo' })).status, 200);
  assert.equal(await second.goaway, constants.NGHTTP2_NO_ERROR);
  await second.closed;
});
