// The proxy listener's refusals and limits, black-box over raw sockets against a real runtime
// (one worker) and a recording upstream: each refusal is answered with its own status and closes
// the connection, and nothing refused reaches the upstream. docs/edge.md lists what is tested here.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, test, type TestContext } from 'node:test';
import { RawConnection, type RawResponse } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
}

let runtime: Runtime | undefined;
let app: Upstream | undefined;
/** Every request the upstream received, in order. */
const seen: Seen[] = [];
/** What the upstream's own parser refused: anything unframed the gateway forwarded. */
const upstreamClientErrors: string[] = [];

function appHandler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const record = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('latin1') };
    seen.push(record);
    const body = JSON.stringify(record);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

const MAX_BODY = 1024;
const KEEPALIVE_REQUESTS = 4;

before(async () => {
  // Room for an 8 KiB target twice over (X-Forwarded-Path repeats it) in the upstream's own parser.
  app = await startUpstream(appHandler, { maxHeaderSize: 64 * 1024 });
  app.server.on('clientError', (error: Error & { code?: string }) => upstreamClientErrors.push(`${error.code}: ${error.message}`));
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${app.url}
    routes:
      - name: app
        paths: [/e]
        strip_path: false
      - name: by-host
        hosts: [routed.example]
        paths: [/h]
        strip_path: false
        preserve_host: true
`);
  runtime = await startRuntime(['--config', config, '--workers', '1', '--client-max-body-size', String(MAX_BODY), '--keepalive-requests', String(KEEPALIVE_REQUESTS)]);
});

after(async () => {
  await runtime?.stop();
  await app?.close();
  // An upload the gateway abandons (413 mid-stream) is cut by closing the upstream connection
  // mid-body, which the upstream's parser reports as an EOF inside a message: that is the abort
  // reaching it, not unframed bytes. Any other parse error is.
  const unparsable = upstreamClientErrors.filter((error) => !error.startsWith('HPE_INVALID_EOF_STATE'));
  assert.deepEqual(unparsable, [], 'the upstream received bytes it could not parse');
});

async function open(t: TestContext): Promise<RawConnection> {
  const connection = await RawConnection.open(runtime!.proxy);
  t.after(() => connection.destroy());
  return connection;
}

function get(path: string, extra = '', host = 'sluice.test'): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

function forwarded(path: string): Seen[] {
  return seen.filter((request) => request.url === path);
}

/**
 * Sends `data` on a fresh connection without closing our side; returns the one response once the
 * server has closed the connection (a refusal never waits for the client to leave).
 */
async function refused(t: TestContext, data: string | Buffer, status: number): Promise<RawResponse> {
  const connection = await open(t);
  connection.write(data);
  const response = await connection.readResponse();
  assert.equal(response.status, status, `expected ${status}, got ${response.status} ${response.reason}`);
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.body.length, 0);
  await connection.waitForEnd();
  assert.equal(connection.pending.length, 0, 'bytes after the refusal');
  return response;
}

async function assertStillServing(t: TestContext): Promise<void> {
  const connection = await open(t);
  connection.write(get('/e/alive'));
  assert.equal((await connection.readResponse()).status, 200);
  assert.deepEqual(runtime!.logs.filter((line) => line.msg === 'worker crashed'), []);
}

// Item: refusals actually sent.

test('HTTP/2.0 on the HTTP/1 port gets 505; so do HTTP/3.0 and the HTTP/2 connection preface', async (t) => {
  await refused(t, 'GET /e/h2 HTTP/2.0\r\nHost: sluice.test\r\n\r\n', 505);
  await refused(t, 'GET /e/h3 HTTP/3.0\r\nHost: sluice.test\r\n\r\n', 505);
  await refused(t, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505);
  assert.deepEqual(forwarded('/e/h2'), []);
  assert.deepEqual(forwarded('/e/h3'), []);
  await assertStillServing(t);
});

test('CONNECT gets 405', async (t) => {
  await refused(t, 'CONNECT sluice.test:443 HTTP/1.1\r\nHost: sluice.test:443\r\n\r\n', 405);
  await assertStillServing(t);
});

test('an unknown Expect gets 417, with or without a body; nothing is forwarded', async (t) => {
  await refused(t, get('/e/expect', 'Expect: the-unexpected\r\n'), 417);
  await refused(t, 'POST /e/expect HTTP/1.1\r\nHost: sluice.test\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\nhi', 417);
  assert.deepEqual(forwarded('/e/expect'), []);
});

test('HTTP/0.9 gets 400 and the close as soon as its request line ends', async (t) => {
  // No further byte and no FIN from the client: the answer cannot wait for either.
  await refused(t, 'GET /e/old\r\n', 400);
  assert.deepEqual(forwarded('/e/old'), []);
});

test('Transfer-Encoding on HTTP/1.0 gets 400, nothing forwarded', async (t) => {
  await refused(t, 'POST /e/te10 HTTP/1.0\r\nHost: sluice.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 400);
  assert.deepEqual(forwarded('/e/te10'), []);
});

test('a chunk size that overflows 64 bits, or that no body could honour, gets 400 and the close at once', async (t) => {
  const head = 'POST /e/chunk HTTP/1.1\r\nHost: sluice.test\r\nTransfer-Encoding: chunked\r\n\r\n';
  await refused(t, `${head}1ffffffffffffffff\r\nab`, 400);
  // 2^64 - 1 fits llhttp's counter, but would be waited for forever.
  await refused(t, `${head}ffffffffffffffff\r\n`, 400);
  // 2^53: more than a JavaScript number counts exactly.
  await refused(t, `${head}20000000000000\r\n`, 400);
  await assertStillServing(t);
});

test('a Content-Length above 2^53 - 1 gets 400', async (t) => {
  await refused(t, 'POST /e/cl HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: 18446744073709551615\r\n\r\n', 400);
  assert.deepEqual(forwarded('/e/cl'), []);
});

// Item: Host.

test('Host: one valid authority or 400', async (t) => {
  const bad = [
    'Host: \r\n',
    'Host: a.example\r\nHost: a.example\r\n',
    'Host: a.example\r\nhost: b.example\r\n',
    'Host: a.example, b.example\r\n',
    'Host: a.example,b.example\r\n',
    'Host: user@a.example\r\n',
    'Host: a example\r\n',
    'Host: a.example/x\r\n',
    'Host: a.example:0\r\n',
    'Host: a.example:65536\r\n',
    'Host: a.example:\r\n',
    'Host: a.example:80:80\r\n',
    'Host: [::1\r\n',
    'Host: [not-ipv6]\r\n',
    'Host: [::1]x\r\n',
  ];
  for (const field of bad) {
    await t.test(JSON.stringify(field), async (t2) => {
      await refused(t2, `GET /e/host HTTP/1.1\r\n${field}\r\n`, 400);
    });
  }
  assert.deepEqual(forwarded('/e/host'), []);
  const good = ['a.example', 'a.example:8080', '127.0.0.1:1', '[::1]:65535', '[v1.fe80::a]', 'xn--bcher-kva.example', 'a%2Db.example'];
  for (const host of good) {
    const connection = await open(t);
    connection.write(get('/e/good-host', '', host));
    const response = await connection.readResponse();
    assert.equal(response.status, 200, host);
  }
  assert.equal(forwarded('/e/good-host').length, good.length);
});

test('an absolute-form target is accepted; its authority is the Host for routing and forwarding', async (t) => {
  const connection = await open(t);
  // The Host field says otherwise: the target wins (RFC 9112 §3.2.2), and the route keyed on
  // routed.example matches with preserve_host, so the upstream sees that authority.
  connection.write('GET http://routed.example/h/abs?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n');
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  const [record] = forwarded('/h/abs?q=1');
  assert.ok(record !== undefined);
  const hosts = record.rawHeaders.filter((_, i) => i % 2 === 0 && record.rawHeaders[i]!.toLowerCase() === 'host').length;
  assert.equal(hosts, 1);
  assert.equal(record.rawHeaders[record.rawHeaders.findIndex((name) => name.toLowerCase() === 'host') + 1], 'routed.example');
  // Keep-alive goes on after it.
  connection.write(get('/e/after-abs'));
  assert.equal((await connection.readResponse()).status, 200);
  await refused(t, 'GET http://user@routed.example/h/abs HTTP/1.1\r\nHost: routed.example\r\n\r\n', 400);
  await refused(t, 'GET ftp://routed.example/h/abs HTTP/1.1\r\nHost: routed.example\r\n\r\n', 400);
});

// Item: header names with an underscore.

test('header names with "_" are dropped before routing and forwarding by default; framing aliases never pass', async (t) => {
  const connection = await open(t);
  connection.write(get('/e/underscore', 'X_Forwarded_For: 6.6.6.6\r\nX_Custom: 1\r\nX-Kept: 1\r\nContent_Length: 5\r\nTransfer_Encoding: chunked\r\n'));
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  const [record] = forwarded('/e/underscore');
  assert.ok(record !== undefined);
  const names = record.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
  assert.ok(names.includes('x-kept'));
  assert.deepEqual(names.filter((name) => name.includes('_')), []);
  assert.equal(names.includes('content-length'), false);
  const xff = record.rawHeaders[names.indexOf('x-forwarded-for') * 2 + 1];
  assert.equal(xff, '127.0.0.1');
});

// Item: limits.

test('a request line over 8 KiB gets 414; one just under it is served', async (t) => {
  const under = `/e/line-ok/${'a'.repeat(8192 - 40)}`;
  const connection = await open(t);
  connection.write(get(under));
  assert.equal((await connection.readResponse()).status, 200);
  await refused(t, get(`/e/line/${'a'.repeat(8192)}`), 414);
  // Whitespace counts: the line is what was received, not the target alone.
  await refused(t, `GET ${' '.repeat(9000)}/e/line HTTP/1.1\r\nHost: sluice.test\r\n\r\n`, 414);
  assert.equal(forwarded('/e/line').length, 0);
});

test('a head over 16 KiB as received gets 431, whitespace included', async (t) => {
  await refused(t, get('/e/head', `X-Big: ${'b'.repeat(17 * 1024)}\r\n`), 431);
  await refused(t, get('/e/head', `X-Pad:${' '.repeat(17 * 1024)}v\r\n`), 431);
  await refused(t, get('/e/head', `X-Pad: v${' '.repeat(17 * 1024)}\r\n`), 431);
  // Many small fields, each under the limit.
  await refused(t, get('/e/head', Array.from({ length: 90 }, (_, i) => `X-F${i}: ${'v'.repeat(200)}\r\n`).join('')), 431);
  // Split over many writes: the limit holds across chunks.
  const connection = await open(t);
  connection.write(get('/e/head', '').slice(0, -2));
  for (let i = 0; i < 40 && !connection.ended; i++) connection.write(`X-Slow-${i}: ${'s'.repeat(1000)}\r\n`);
  const response = await connection.readResponse();
  assert.equal(response.status, 431);
  assert.equal(forwarded('/e/head').length, 0);
});

test('more than 100 header fields get 431; 100 are served', async (t) => {
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-F${i}: v\r\n`).join('');
  const connection = await open(t);
  connection.write(get('/e/fields-ok', fields(99)));
  assert.equal((await connection.readResponse()).status, 200);
  await refused(t, get('/e/fields', fields(101)), 431);
  assert.equal(forwarded('/e/fields').length, 0);
});

test(`the ${KEEPALIVE_REQUESTS}th request on a connection is answered with Connection: close, then the connection closes`, async (t) => {
  const connection = await open(t);
  for (let i = 1; i < KEEPALIVE_REQUESTS; i++) {
    connection.write(get(`/e/ka/${i}`));
    const response = await connection.readResponse();
    assert.equal(response.headers.connection, 'keep-alive');
  }
  connection.write(get('/e/ka/last') + get('/e/ka/never'));
  const last = await connection.readResponse();
  assert.equal(last.status, 200);
  assert.equal(last.headers.connection, 'close');
  await connection.waitForEnd();
  assert.equal(connection.pending.length, 0);
  assert.equal(forwarded('/e/ka/never').length, 0);
});

test('a Content-Length over --client-max-body-size gets 413 before the body is read, and no 100 Continue', async (t) => {
  await refused(t, `POST /e/big HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`, 413);
  await refused(t, `POST /e/big HTTP/1.1\r\nHost: sluice.test\r\nExpect: 100-continue\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`, 413);
  assert.equal(forwarded('/e/big').length, 0);
  // At the limit: served.
  const connection = await open(t);
  connection.write(`POST /e/at-limit HTTP/1.1\r\nHost: sluice.test\r\nContent-Length: ${MAX_BODY}\r\n\r\n${'x'.repeat(MAX_BODY)}`);
  assert.equal((await connection.readResponse()).status, 200);
});

test('a chunked body that passes --client-max-body-size gets 413 and the upstream request is abandoned', async (t) => {
  const connection = await open(t);
  connection.write('POST /e/chunked-big HTTP/1.1\r\nHost: sluice.test\r\nTransfer-Encoding: chunked\r\n\r\n');
  connection.write(`200\r\n${'x'.repeat(0x200)}\r\n`);
  connection.write(`200\r\n${'y'.repeat(0x200)}\r\n`);
  connection.write(`10\r\n${'z'.repeat(0x10)}\r\n0\r\n\r\n`);
  const response = await connection.readResponse();
  assert.equal(response.status, 413);
  assert.equal(response.headers.connection, 'close');
  await connection.waitForEnd();
  // The upstream never got a complete body.
  assert.equal(forwarded('/e/chunked-big').length, 0);
  // A chunk that announces more than the limit is refused without waiting for its bytes.
  await refused(t, `POST /e/chunked-big HTTP/1.1\r\nHost: sluice.test\r\nTransfer-Encoding: chunked\r\n\r\n${(MAX_BODY + 1).toString(16)}\r\n`, 413);
  await assertStillServing(t);
});

// Item: pipelining and half-close.

test('three pipelined requests and a FIN: all three are answered in order, then the connection closes', async (t) => {
  const connection = await open(t);
  connection.write(get('/e/fin/1') + get('/e/fin/2') + get('/e/fin/3'));
  connection.socket.end();
  const statuses: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const response = await connection.readResponse();
    assert.equal(response.status, 200);
    statuses.push(JSON.parse(response.body.toString('latin1')).url as string);
  }
  assert.deepEqual(statuses, ['/e/fin/1', '/e/fin/2', '/e/fin/3']);
  await connection.waitForEnd();
  assert.equal(connection.pending.length, 0);
});

test('pipelined gateway answers (404) and a FIN: every one answered, the last says close', async (t) => {
  const connection = await open(t);
  connection.write(get('/nowhere/1') + get('/nowhere/2') + get('/e/fin/4') + get('/nowhere/3'));
  connection.socket.end();
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await connection.readResponse()).status);
  assert.deepEqual(statuses, [404, 404, 200, 404]);
  await connection.waitForEnd();
  assert.equal(connection.pending.length, 0);
});

test('a complete request then half a request and a FIN: the first is answered, then the connection closes', async (t) => {
  const connection = await open(t);
  connection.write(get('/e/fin/whole') + 'GET /e/fin/half HTTP/1.1\r\nHost: slu');
  connection.socket.end();
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  await connection.waitForEnd();
  assert.equal(forwarded('/e/fin/half').length, 0);
});
