// Kong route and service settings that change what a client sees, over real sockets: an
// https-only route reached over plain HTTP (426 or a redirect, as Kong's runloop answers), an
// upstream's `host_header`, and a service `url` that overrides protocol/host/port/path written
// beside it (Kong's shorthand wins).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createTcpServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { closedPort, echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

let runtime: Runtime;
let echo: Upstream;
const named: Upstream[] = [];
// Records the first byte each connection sends, then closes it: a TLS client starts with 0x16.
let tlsProbe: Server;
const firstBytes: number[] = [];
// Answers as soon as the first piece of the request body arrives, and ends its response when the
// request body ends: only a proxy that streams both ways lets the client see that answer in time.
let streaming: Upstream;

before(async () => {
  tlsProbe = createTcpServer((socket) => socket.once('data', (chunk: Buffer) => (firstBytes.push(chunk[0]!), socket.destroy())));
  tlsProbe.listen(0, '127.0.0.1');
  await once(tlsProbe, 'listening');
  streaming = await startUpstream((req, res) => {
    req.once('data', () => res.writeHead(200, { 'content-type': 'text/plain' }).write('first;'));
    req.on('end', () => res.end('last'));
  });
  echo = await startUpstream(echoHandler);
  for (const name of ['a', 'b', 'c']) named.push(await startUpstream((_req, res) => res.end(name)));
  const down = await closedPort();
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: echo
    # The url wins over the parts written beside it: a closed port and another path.
    url: ${echo.url}/base
    host: 127.0.0.1
    port: ${down}
    path: /ignored
    routes:
      - name: both
        paths: [/both]
      - name: https-only
        paths: [/secure]
        protocols: [https]
      - name: https-moved
        paths: [/moved]
        protocols: [https]
        https_redirect_status_code: 308
      - name: https-found
        paths: [/found]
        protocols: [https]
        https_redirect_status_code: 302
  - name: balanced
    host: echo.upstream
    routes:
      - name: balanced
        paths: [/balanced]
  - name: tls
    protocol: https
    host: 127.0.0.1
    port: ${(tlsProbe.address() as AddressInfo).port}
    routes:
      - name: tls
        paths: [/tls]
  - name: streaming
    url: ${streaming.url}
    routes:
      - name: streaming
        paths: [/stream]
        request_buffering: false
        response_buffering: false
      - name: keyed
        paths: [/keyed]
        plugins:
          - name: key-auth
            config: { key_in_header: false }
      - name: limited
        paths: [/limited]
        plugins:
          - name: rate-limiting
            config: { second: 5, minute: 10, year: 20 }
  - name: weighted
    host: weighted.upstream
    routes:
      - name: weighted
        paths: [/weighted]
upstreams:
  - name: echo.upstream
    host_header: api.internal
    targets:
      - target: 127.0.0.1:${echo.port}
  - name: weighted.upstream
    targets:
      - { target: "127.0.0.1:${named[0]!.port}", weight: 300 }
      - { target: "127.0.0.1:${named[1]!.port}", weight: 100 }
      - { target: "127.0.0.1:${named[2]!.port}", weight: 0 }
consumers:
  - username: alice
    keyauth_credentials:
      - key: alice-key
`);
  runtime = await startRuntime(['--config', config, '--workers', '1']);
});

after(async () => {
  await runtime.stop();
  await echo.close();
  await streaming.close();
  tlsProbe.close();
  for (const u of named) await u.close();
});

test('a service url overrides protocol, host, port and path written beside it', async () => {
  const reply = await request(`${runtime.proxy}/both/x`);
  assert.equal(reply.status, 200);
  assert.equal(reply.json<{ url: string }>().url, '/base/x');
});

test('an https-only route answers plain HTTP with 426 and an Upgrade header, as Kong', async () => {
  const reply = await request(`${runtime.proxy}/secure/x`);
  assert.equal(reply.status, 426);
  assert.deepEqual(reply.json(), { message: 'Please use HTTPS protocol' });
  assert.equal(reply.headers['upgrade'], 'TLS/1.2, HTTP/1.1');
});

test('https_redirect_status_code 308/302 redirects to the same URL over https', async () => {
  const moved = await request(`${runtime.proxy}/moved/a?b=1`, { headers: { host: 'shop.example:8000' } });
  assert.equal(moved.status, 308);
  assert.equal(moved.headers['location'], 'https://shop.example:8000/moved/a?b=1');
  const found = await request(`${runtime.proxy}/found`, { headers: { host: 'shop.example' } });
  assert.equal(found.status, 302);
  assert.equal(found.headers['location'], 'https://shop.example/found');
  // A route that allows http is proxied as before.
  assert.equal((await request(`${runtime.proxy}/both`)).status, 200);
});

test("an upstream's host_header is the Host sent to its targets", async () => {
  const reply = await request(`${runtime.proxy}/balanced`, { headers: { host: 'client.example' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.json<{ headers: Record<string, string> }>().headers.host, 'api.internal');
});

test('target weight splits requests 3:1, and weight 0 takes none', async () => {
  const seen: Record<string, number> = {};
  for (let i = 0; i < 8; i++) {
    const reply = await request(`${runtime.proxy}/weighted`);
    seen[reply.body] = (seen[reply.body] ?? 0) + 1;
  }
  assert.deepEqual(seen, { a: 6, b: 2 });
});

test("service protocol https dials the upstream over TLS", async () => {
  const reply = await request(`${runtime.proxy}/tls`);
  assert.equal(reply.status, 502, 'the probe is no TLS server');
  assert.equal(firstBytes[0], 0x16, 'a TLS handshake record');
});

test('request_buffering and response_buffering false: both bodies stream through', async () => {
  const port = new URL(runtime.proxy).port;
  const socket: Socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write('POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  let received = '';
  socket.setEncoding('latin1');
  // The upstream's first piece arrives while the request body is still open.
  while (!received.includes('first;')) received += (await once(socket, 'data'))[0] as string;
  assert.match(received, /^HTTP\/1\.1 200/);
  assert.doesNotMatch(received, /last/);
  socket.write('0\r\n\r\n');
  while (!received.includes('last')) received += (await once(socket, 'data'))[0] as string;
  socket.destroy();
});

test('key-auth key_in_header false: a key in a header is not read, one in the query is', async () => {
  assert.equal((await request(`${runtime.proxy}/keyed`, { headers: { apikey: 'alice-key' } })).status, 401);
  assert.equal((await request(`${runtime.proxy}/keyed?apikey=alice-key`)).status, 200);
});

test('rate-limiting second, minute and year windows each count, with their headers', async () => {
  const reply = await request(`${runtime.proxy}/limited`);
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['x-ratelimit-limit-second'], '5');
  assert.equal(reply.headers['x-ratelimit-limit-minute'], '10');
  assert.equal(reply.headers['x-ratelimit-limit-year'], '20');
  assert.equal(reply.headers['x-ratelimit-remaining-minute'], '9');
  assert.equal(reply.headers['x-ratelimit-remaining-year'], '19');
});
