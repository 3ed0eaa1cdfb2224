// The proxy listener's HTTP/1.1 wire behaviour, black-box over raw TCP sockets: keep-alive,
// pipelining, HTTP/1.0, framing of bodies both ways, 100-continue, malformed input. Recorded
// against the node:http server the workers ran first, so that any replacement of it (a raw
// net.Server with its own parser) keeps the same contract on the wire.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { mulberry32 } from '../helpers/prng.ts';
import { RawConnection, rawExchange, type RawResponse } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

let runtime: Runtime | undefined;
let app: Upstream | undefined;

/** Every request URL the upstream received, in order: malformed requests must never get there. */
const seen: string[] = [];

/** Seeded bytes covering every octet value, so a body mangled by a text encoding shows. */
function bytes(length: number, seed: number): Buffer {
  const random = mulberry32(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

const BIG = bytes(2 * 1024 * 1024, 14);
const FIXED = 'a fixed body of known length\n';
const CHUNKED_PARTS = ['part 0\n', 'part 1 is longer\n', 'x'.repeat(5000), '\npart 3\n'];
const SLOW_TICK_MS = 20;

/** Set by /t/slow when its response closes: whether it had finished. */
let slowClosed: Promise<{ finished: boolean }> = Promise.resolve({ finished: true });

/**
 * The upstream, by path (the route keeps the client's path: strip_path is false):
 *   /t/body     echoes the request body's bytes;
 *   /t/fixed    a fixed body with Content-Length;
 *   /t/chunked  several writes, no Content-Length (so chunked to the gateway);
 *   /t/slow     a tick every SLOW_TICK_MS for seconds, until the gateway goes away;
 *   /t/big      BIG with Content-Length;
 *   anything else answers its own URL (path and query as received), after `?delay=MS`.
 */
function appHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  seen.push(url);
  const path = url.split('?')[0];
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (path === '/t/body') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.concat(chunks));
    } else if (path === '/t/fixed') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(FIXED) });
      res.end(FIXED);
    } else if (path === '/t/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      void (async () => {
        for (const part of CHUNKED_PARTS) {
          res.write(part);
          await delay(10);
        }
        res.end();
      })();
    } else if (path === '/t/slow') {
      slowClosed = new Promise((resolve) => res.once('close', () => resolve({ finished: res.writableFinished })));
      res.writeHead(200, { 'content-type': 'text/plain' });
      let tick = 0;
      const timer = setInterval(() => {
        res.write(`tick ${tick}\n`);
        if (++tick === 250) res.end();
      }, SLOW_TICK_MS);
      res.once('close', () => clearInterval(timer));
    } else if (path === '/t/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
      res.end(BIG);
    } else {
      const wait = Number(new URLSearchParams(url.split('?')[1] ?? '').get('delay') ?? 0);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(url) });
        res.end(url);
      }, wait);
    }
  });
}

before(async () => {
  app = await startUpstream(appHandler);
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${app.url}
    routes:
      - name: app
        paths: [/t]
        strip_path: false
`);
  // One worker: a connection-level mishap on one request must be seen by the next on the same worker.
  runtime = await startRuntime(['--config', config, '--workers', '1']);
});

after(async () => {
  // Both, even when before() failed half-way: a listening upstream would keep the run alive.
  await runtime?.stop();
  await app?.close();
});

/** Opens a connection for the test and closes it when the test ends, whatever happens. */
async function open(t: TestContext): Promise<RawConnection> {
  const connection = await RawConnection.open(runtime!.proxy);
  t.after(() => connection.destroy());
  return connection;
}

function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: sluice.test\r\n${extra}\r\n`;
}

function text(response: RawResponse): string {
  return response.body.toString('latin1');
}

test('keep-alive: two sequential requests on one connection, which stays open', async (t) => {
  const connection = await open(t);
  connection.write(get('/t/first'));
  const first = await connection.readResponse();
  assert.equal(first.status, 200);
  assert.equal(text(first), '/t/first');
  assert.notEqual(first.headers.connection, 'close');
  connection.write(get('/t/second'));
  const second = await connection.readResponse();
  assert.equal(second.status, 200);
  assert.equal(text(second), '/t/second');
  assert.equal(await connection.staysOpen(), true, 'the server closed a keep-alive connection');
  assert.equal(connection.pending.length, 0);
});

test('pipelining: three requests in one write are answered in order on the same connection', async (t) => {
  const connection = await open(t);
  // The upstream answers the first one last: the order on the wire must still be the requests'.
  connection.write(get('/t/p/1?delay=80') + get('/t/p/2?delay=40') + get('/t/p/3'));
  const bodies: string[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await connection.readResponse();
    assert.equal(response.status, 200);
    bodies.push(text(response));
  }
  assert.deepEqual(bodies, ['/t/p/1?delay=80', '/t/p/2?delay=40', '/t/p/3']);
  assert.equal(connection.pending.length, 0);
  assert.equal(await connection.staysOpen(), true);
});

test('a pipelined request after a body starts where the Content-Length says the body ends', async (t) => {
  const connection = await open(t);
  // The body looks like a request line: it must reach the upstream as body, not be parsed.
  const body = 'GET /t/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
  connection.write(`POST /t/body HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: ${body.length}\r\n\r\n${body}` + get('/t/next'));
  const first = await connection.readResponse();
  assert.equal(first.status, 200);
  assert.equal(text(first), body);
  const second = await connection.readResponse();
  assert.equal(text(second), '/t/next');
  assert.equal(seen.includes('/t/smuggled'), false);
});

test('HTTP/1.0 without Connection: one response, then the server closes', async (t) => {
  const connection = await open(t);
  connection.write('GET /t/old HTTP/1.0\r\nHost: sluice.test\r\n\r\n');
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(text(response), '/t/old');
  // node:http answers HTTP/1.0 requests with an HTTP/1.1 status line and says it will close.
  assert.equal(response.version, 'HTTP/1.1');
  assert.equal(response.headers.connection, 'close');
  await connection.waitForEnd();
  assert.equal(connection.pending.length, 0);
});

test('HTTP/1.0 with Connection: keep-alive: the connection stays open for a second request', async (t) => {
  const connection = await open(t);
  const request = (path: string): string => `GET ${path} HTTP/1.0\r\nHost: sluice.test\r\nConnection: keep-alive\r\n\r\n`;
  connection.write(request('/t/old-1'));
  const first = await connection.readResponse();
  assert.equal(first.status, 200);
  assert.equal(first.headers.connection, 'keep-alive');
  assert.equal(first.framing, 'length', 'an HTTP/1.0 client cannot take chunked');
  assert.equal(text(first), '/t/old-1');
  assert.equal(await connection.staysOpen(), true);
  connection.write(request('/t/old-2'));
  const second = await connection.readResponse();
  assert.equal(second.status, 200);
  assert.equal(text(second), '/t/old-2');
});

test('HTTP/1.0 and an upstream body of unknown length: not chunked, delimited by the close', async (t) => {
  const connection = await open(t);
  connection.write('GET /t/chunked HTTP/1.0\r\nHost: sluice.test\r\nConnection: keep-alive\r\n\r\n');
  await connection.waitForEnd();
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(response.framing, 'close');
  assert.equal(text(response), CHUNKED_PARTS.join(''));
});

test('HTTP/1.1 Connection: close: the response says close and the server closes after it', async (t) => {
  const connection = await open(t);
  connection.write(get('/t/bye', 'Connection: close\r\n'));
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(text(response), '/t/bye');
  assert.equal(response.headers.connection, 'close');
  await connection.waitForEnd();
  assert.equal(connection.pending.length, 0);
});

test('HEAD: the upstream Content-Length, no body bytes; a pipelined GET after it parses', async (t) => {
  const connection = await open(t);
  connection.write(`HEAD /t/fixed HTTP/1.1\r\nHost: sluice.test\r\n\r\n` + get('/t/after-head'));
  const head = await connection.readResponse({ head: true });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(Buffer.byteLength(FIXED)));
  // A body sent after the HEAD head would be read here as the next status line and fail.
  const next = await connection.readResponse();
  assert.equal(next.status, 200);
  assert.equal(text(next), '/t/after-head');
  assert.equal(connection.pending.length, 0);
});

test('a Content-Length request body of 100 KiB reaches the upstream byte for byte', async (t) => {
  const connection = await open(t);
  const body = bytes(100 * 1024, 6);
  connection.write(`POST /t/body HTTP/1.1\r\nHost: sluice.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`);
  connection.write(body);
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(response.body.length, body.length);
  assert.ok(response.body.equals(body), 'the echoed body differs');
});

test('a chunked request body written over time reaches the upstream intact', async (t) => {
  const connection = await open(t);
  const parts = [bytes(1, 1), bytes(1000, 2), bytes(30_000, 3), bytes(7, 4), bytes(4096, 5)];
  connection.write(`POST /t/body HTTP/1.1\r\nHost: sluice.test\r\nTransfer-Encoding: chunked\r\n\r\n`);
  for (const part of parts) {
    await delay(15);
    connection.write(Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
  }
  connection.write('0\r\n\r\n');
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.ok(response.body.equals(Buffer.concat(parts)), 'the echoed body differs');
  assert.equal(await connection.staysOpen(50), true);
});

test('an upstream body of unknown length is relayed chunked and complete', async (t) => {
  const connection = await open(t);
  connection.write(get('/t/chunked'));
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  // Streamed, not buffered to learn its length.
  assert.equal(response.framing, 'chunked');
  assert.equal(response.headers['content-length'], undefined);
  assert.equal(text(response), CHUNKED_PARTS.join(''));
  // Framed right: the connection carries a next request.
  connection.write(get('/t/after-chunked'));
  assert.equal(text(await connection.readResponse()), '/t/after-chunked');
});

/** Sends `data` on a fresh connection; returns its one response once the server has closed the connection. */
async function closing(t: TestContext, data: string): Promise<RawResponse> {
  const { connection, responses } = await rawExchange(runtime!.proxy, data);
  t.after(() => connection.destroy());
  await connection.waitForEnd();
  assert.equal(connection.pending.length, 0, 'bytes after the one response');
  return responses[0]!;
}

/**
 * The worker survived: a fresh connection is served, and no worker crash was logged (had the
 * worker died and been replaced before that request, the log still tells).
 */
async function assertStillServing(t: TestContext): Promise<void> {
  const connection = await open(t);
  connection.write(get('/t/alive'));
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(text(response), '/t/alive');
  assert.deepEqual(runtime!.logs.filter((line) => line.msg === 'worker crashed'), []);
}

/** The worker's answer to a request its parser refuses: a bare 400 that closes the connection. */
function assertBareBadRequest(response: RawResponse): void {
  assert.equal(response.status, 400);
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.headers['content-length'], '0');
  assert.equal(response.body.length, 0);
}

test('malformed: a garbage request line gets 400 and the connection closes', async (t) => {
  assertBareBadRequest(await closing(t, 'THIS IS NOT HTTP\r\n\r\n'));
  await assertStillServing(t);
});

test('malformed: Content-Length with Transfer-Encoding chunked and a bad chunk size gets 400, nothing forwarded', async (t) => {
  // Refused at the head already (llhttp does not let Transfer-Encoding and Content-Length meet),
  // before the chunk size is read: no request, however framed, may reach the upstream.
  const response = await closing(t, 'POST /t/cl-te HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
  assertBareBadRequest(response);
  assert.equal(seen.includes('/t/cl-te'), false, 'a request with ambiguous framing reached the upstream');
  await assertStillServing(t);
});

test('malformed: an invalid character in a header name gets 400, nothing forwarded', async (t) => {
  assertBareBadRequest(await closing(t, 'GET /t/bad-name HTTP/1.1\r\nHost: sluice.test\r\nBad(Name: 1\r\n\r\n'));
  assertBareBadRequest(await closing(t, 'GET /t/bad-name HTTP/1.1\r\nHost: sluice.test\r\nBad Name: 1\r\n\r\n'));
  assert.equal(seen.includes('/t/bad-name'), false);
  await assertStillServing(t);
});

test('malformed: two different Content-Length headers get 400, nothing forwarded', async (t) => {
  assertBareBadRequest(await closing(t, 'POST /t/two-cl HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello'));
  // Stricter than RFC 9112 §6.3 requires: llhttp refuses even two equal ones.
  assertBareBadRequest(await closing(t, 'POST /t/two-cl HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello'));
  assert.equal(seen.includes('/t/two-cl'), false);
  await assertStillServing(t);
});

test('malformed: a bad chunk size gets 400 and the connection closes', async (t) => {
  // The head is valid, so this request has already started (it may have reached the upstream)
  // when its body turns out malformed: the 400 must still be the only answer on the connection,
  // and the worker must survive the request it abandons.
  const response = await closing(t, 'POST /t/bad-chunk HTTP/1.1\r\nHost: sluice.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
  assertBareBadRequest(response);
  await assertStillServing(t);
});

test('HTTP/1.1 without Host gets 400 and the connection closes', async (t) => {
  const response = await closing(t, 'GET /t/no-host HTTP/1.1\r\n\r\n');
  // Only status, close and an empty body are asserted: node:http answered this one with Date and
  // an empty chunked body, the worker's own listener with the bare `content-length: 0` 400.
  assert.equal(response.status, 400);
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.body.length, 0);
  assert.equal(seen.includes('/t/no-host'), false);
  await assertStillServing(t);
});

test('HTTP/1.0 without Host is served: only HTTP/1.1 requires Host', async (t) => {
  const response = await closing(t, 'GET /t/old-no-host HTTP/1.0\r\n\r\n');
  assert.equal(response.status, 200);
  assert.equal(text(response), '/t/old-no-host');
});

test('a request head over 16 KiB is refused and the connection closes', async (t) => {
  const response = await closing(t, get('/t/huge', `X-Big: ${'b'.repeat(17 * 1024)}\r\n`));
  // 431 Request Header Fields Too Large (RFC 6585), with the same bare close as a 400.
  assert.equal(response.status, 431);
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.body.length, 0);
  assert.equal(seen.includes('/t/huge'), false);
  await assertStillServing(t);
});

test('Expect: 100-continue: 100 Continue comes before the body is sent, then the final answer', async (t) => {
  const connection = await open(t);
  const body = 'the body, sent after 100 Continue';
  connection.write(`POST /t/body HTTP/1.1\r\nHost: sluice.test\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
  // The client waits for it, as curl does (up to 1 s), before it sends the body.
  const interim = await connection.readResponse({ timeoutMs: 1000 });
  assert.equal(interim.status, 100);
  assert.equal(interim.version, 'HTTP/1.1');
  connection.write(body);
  const response = await connection.readResponse();
  // The gateway answered the expectation itself; the upstream gets the body without `Expect`.
  assert.equal(response.status, 200);
  assert.equal(text(response), body);
  connection.write(get('/t/after-continue'));
  assert.equal(text(await connection.readResponse()), '/t/after-continue');
});

test('Expect: 100-continue: the body is forwarded and echoed', async (t) => {
  const connection = await open(t);
  const body = 'the body, sent after 100 Continue';
  connection.write(`POST /t/body HTTP/1.1\r\nHost: sluice.test\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
  assert.equal((await connection.readResponse({ timeoutMs: 1000 })).status, 100);
  connection.write(body);
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(text(response), body);
});

test('a request answered before its body arrives: the body is still read and dropped, the connection carries on', async (t) => {
  const connection = await open(t);
  // The body looks like a request: it must be skipped as body, not parsed as the next request.
  const body = 'GET /t/early-smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
  connection.write(`POST /unrouted HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: ${body.length}\r\n\r\n`);
  const early = await connection.readResponse();
  assert.equal(early.status, 404);
  assert.notEqual(early.headers.connection, 'close');
  connection.write(body);
  connection.write(get('/t/after-early'));
  const next = await connection.readResponse();
  assert.equal(next.status, 200);
  assert.equal(text(next), '/t/after-early');
  assert.equal(seen.includes('/t/early-smuggled'), false);
  assert.equal(connection.pending.length, 0);
});

test('a gateway answer (no route, 404) has Content-Length, Content-Type, Date and a JSON message', async (t) => {
  const connection = await open(t);
  connection.write(get('/unrouted'));
  const response = await connection.readResponse();
  assert.equal(response.status, 404);
  assert.equal(response.framing, 'length');
  assert.equal(response.headers['content-length'], String(response.body.length));
  assert.match(response.headers['content-type'] ?? '', /^application\/json/);
  const date = Date.parse(response.headers.date ?? '');
  assert.ok(Math.abs(date - Date.now()) < 60_000, `Date: ${response.headers.date}`);
  assert.deepEqual(JSON.parse(text(response)), { message: 'no Route matched with those values' });
  assert.equal(seen.includes('/unrouted'), false);
  // An error answer does not end a keep-alive connection.
  connection.write(get('/t/after-404'));
  assert.equal((await connection.readResponse()).status, 200);
});

test('a client that leaves mid-response: the upstream request is dropped and the gateway keeps serving', async (t) => {
  const connection = await open(t);
  connection.write(get('/t/slow'));
  // The head and the first ticks.
  await connection.waitForBytes(200);
  assert.match(connection.pending.toString('latin1'), /^HTTP\/1\.1 200 /);
  connection.destroy();
  // 250 ticks take 5 s: an upstream response closed well before that was cut by the gateway.
  const outcome = await Promise.race([slowClosed, delay(2000).then(() => 'still streaming' as const)]);
  assert.deepEqual(outcome, { finished: false });
  await assertStillServing(t);
});

test('a 2 MiB response read slowly by the client arrives complete and intact', async (t) => {
  const connection = await open(t);
  connection.write(get('/t/big'));
  await connection.waitForBytes(1);
  // Stop reading so the gateway's writes back up, twice, then take the rest.
  connection.socket.pause();
  await delay(250);
  connection.socket.resume();
  await connection.waitForBytes(BIG.length / 2);
  connection.socket.pause();
  await delay(250);
  connection.socket.resume();
  const response = await connection.readResponse({ timeoutMs: 5000 });
  assert.equal(response.status, 200);
  assert.equal(response.body.length, BIG.length);
  assert.ok(response.body.equals(BIG), 'the body differs');
  assert.equal(connection.pending.length, 0);
});

test('path and query, percent-encoding included, reach the upstream as sent', async (t) => {
  const connection = await open(t);
  const path = '/t/q/a%20b/caf%C3%A9/x%2Fy';
  const query = '?x=1&y=%2F%3F%26&z=a+b&empty=&flag&u=%E2%82%AC&tilde=%7E';
  connection.write(get(path + query));
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(text(response), path + query);
});

test('the router normalizes the path: an escaped unreserved character is forwarded decoded, the query untouched', async (t) => {
  // As Kong does (workers/router/normalize.ts): the upstream gets the normalized path.
  const connection = await open(t);
  connection.write(get('/t/q/%7Euser/%41?tilde=%7E'));
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  assert.equal(text(response), '/t/q/~user/A?tilde=%7E');
});
