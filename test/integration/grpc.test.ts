// gRPC through a spawned `node runtime` (--h2c on the plain port): a real @grpc/grpc-js client
// and server, grpc routes to a grpc (h2c) service. Unary, server streaming, client streaming and
// bidi calls; headers and trailing metadata relayed (grpc-status, grpc-message, custom and binary
// trailers); a trailers-only answer; Kong's answers on a gRPC route to what it does not take (an
// HTTP/1.1 request, a non-gRPC request, cleartext on a grpcs-only route); key-auth on a grpc route;
// an upstream that is down; a client cancel reaching the upstream; a client that stops reading
// holds the upstream (flow control) instead of the gateway buffering; an unrelated reconfigure
// leaves a streaming call and the session alone.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect, createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { DATA, END_HEADERS, END_STREAM, frame, HEADERS, PREFACE, SETTINGS } from '../helpers/h2-frames.ts';
import { echoClient, grpc, startEchoServer, unary, type EchoClient, type EchoServer } from '../helpers/grpc.ts';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';

let runtime: Runtime;
let server: EchoServer;
let client: EchoClient;
let address: string;
let deadPort: number;
let configText: string;
let resetServer: Server;
let resetPort: number;
let resetAccepts = 0;

function config(extra = ''): string {
  return `_format_version: "3.0"
services:
  - name: echo
    url: grpc://127.0.0.1:${server.port}
    routes:
      - name: echo
        protocols: [grpc, grpcs]
        paths: [/test.Echo/]
      - name: locked
        protocols: [grpc]
        paths: [/test.Locked/]
      - name: secure-only
        protocols: [grpcs]
        paths: [/test.SecureOnly/]
  - name: slow
    url: grpc://127.0.0.1:${server.port}
    read_timeout: 1000
    routes:
      - name: slow
        protocols: [grpc]
        paths: [/test.Slow/]
  - name: reset
    url: grpc://127.0.0.1:${resetPort}
    retries: 1
    routes:
      - name: reset
        protocols: [grpc]
        paths: [/test.Reset/]
  - name: down
    url: grpc://127.0.0.1:${deadPort}
    retries: 1
    routes:
      - name: down
        protocols: [grpc]
        paths: [/test.Down/]
plugins:
  - name: key-auth
    route: locked
consumers:
  - username: alice
    keyauth_credentials:
      - key: alice-key
${extra}`;
}

before(async () => {
  server = await startEchoServer(['test.Echo', 'test.Locked', 'test.SecureOnly', 'test.Slow']);
  // A port nothing listens on.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  deadPort = (probe.address() as AddressInfo).port;
  probe.close();
  // A target that accepts each connection and resets it at once.
  resetServer = createServer((socket) => {
    resetAccepts++;
    socket.resetAndDestroy();
  }).listen(0, '127.0.0.1');
  await once(resetServer, 'listening');
  resetPort = (resetServer.address() as AddressInfo).port;
  configText = config();
  const file = await writeConfig(configText);
  runtime = await startRuntime(['--config', file, '--workers', '1', '--h2c']);
  address = new URL(runtime.proxy).host;
  client = echoClient(address);
});

after(async () => {
  client?.close();
  await runtime?.stop();
  await server?.close();
  resetServer?.close();
});

test('unary: the answer, its header metadata and its trailing metadata come through', async () => {
  const md = new grpc.Metadata();
  md.set('x-client', 'c1');
  const r = await unary(client, { hello: 'world' }, md);
  assert.equal(r.error, null);
  assert.deepEqual(r.value!['echo'], { hello: 'world' });
  assert.deepEqual(r.headers!.get('x-echo-header'), ['h1']);
  assert.deepEqual(r.trailers!.get('x-echo-trailer'), ['t1']);
  // The upstream saw the client's metadata and the gateway's forwarding fields, not hop-by-hop ones.
  const seen = server.stats.lastMetadata;
  assert.equal(seen['x-client'], 'c1');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-real-ip'], '127.0.0.1');
  assert.equal(seen['connection'], undefined);
});

test('a non-OK status reaches the client with its message and trailing metadata (binary too)', async () => {
  const r = await unary(client, { fail: grpc.status.FAILED_PRECONDITION });
  assert.equal(r.error?.code, grpc.status.FAILED_PRECONDITION);
  assert.equal(r.error?.details, 'failed as asked: 9');
  assert.deepEqual(r.trailers!.get('x-reason'), ['asked-to-fail']);
  assert.deepEqual(r.trailers!.get('x-detail-bin'), [Buffer.from([0, 1, 2, 255])]);
});

test('a status after streamed messages: the messages, then the status and its trailing metadata', async () => {
  const call = client.Stream(Buffer.from(JSON.stringify({ count: 5, size: 10, failWith: grpc.status.RESOURCE_EXHAUSTED })));
  let messages = 0;
  call.on('data', () => messages++);
  const [error] = (await once(call, 'error')) as [grpc.ServiceError];
  assert.equal(messages, 5);
  assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.equal(error.details, 'failed after the messages');
  assert.deepEqual(error.metadata.get('x-after'), ['5']);
});

test('an upstream that does not answer within read_timeout: 504 as DEADLINE_EXCEEDED, the upstream call cancelled', async () => {
  const slow = echoClient(address, 'test.Slow');
  const before = server.stats.cancelled;
  try {
    const r = await unary(slow, { hang: true });
    assert.equal(r.error?.code, grpc.status.DEADLINE_EXCEEDED);
    assert.equal(r.error?.details, 'The upstream server is timing out');
    await waitFor(() => server.stats.cancelled > before, 'the upstream call was not cancelled');
  } finally {
    slow.close();
  }
});

test('a client stream that keeps sending outlives read_timeout: the body flowing upstream counts as activity', async () => {
  const slow = echoClient(address, 'test.Slow');
  try {
    const started = Date.now();
    const collected = await new Promise<Record<string, number>>((resolve, reject) => {
      const call = slow.Collect(new grpc.Metadata(), (error, res) => (error !== null ? reject(error) : resolve(JSON.parse(res!.toString()) as Record<string, number>)));
      let sent = 0;
      const tick = setInterval(() => {
        call.write(Buffer.alloc(10));
        if (++sent === 12) {
          clearInterval(tick);
          call.end();
        }
      }, 200);
    });
    // 12 messages 200 ms apart: the upstream answered nothing for over twice its read_timeout (1 s).
    assert.ok(Date.now() - started >= 2000);
    assert.deepEqual(collected, { messages: 12, bytes: 120 });
  } finally {
    slow.close();
  }
});

test('malformed gRPC framing is passed through untouched: the upstream judges it, as when called directly', async () => {
  // A length prefix announcing 100 bytes, then 3 bytes and END_STREAM.
  const bad = Buffer.from([0, 0, 0, 0, 100, 1, 2, 3]);
  const direct = h2connect(`http://127.0.0.1:${server.port}`);
  direct.on('error', () => {});
  const viaUpstream = await rawCall(direct, '/test.Echo/Unary', bad);
  direct.close();
  const session = h2connect(runtime.proxy);
  session.on('error', () => {});
  const viaGateway = await rawCall(session, '/test.Echo/Unary', bad);
  session.close();
  const statusOf = (r: { headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders | null }): unknown => r.trailers?.['grpc-status'] ?? r.headers['grpc-status'];
  assert.notEqual(statusOf(viaUpstream), undefined);
  assert.notEqual(statusOf(viaUpstream), '0');
  assert.equal(statusOf(viaGateway), statusOf(viaUpstream));
  assert.equal(viaGateway.headers[':status'], viaUpstream.headers[':status']);
});

test('a raw h2 client that never reads a server stream: the upstream is held back, and cancelled when it leaves', async () => {
  const cancelledBefore = server.stats.cancelled;
  const socket = netConnect(Number(new URL(runtime.proxy).port), '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => {});
  const block = Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http
    Buffer.from([0x04]), lit('/test.Echo/Stream'),
    Buffer.from([0x01]), lit('127.0.0.1'),
    Buffer.from([0x0f, 0x10]), lit('application/grpc'), // content-type (static index 31)
    Buffer.from([0x00]), lit('te'), lit('trailers'),
  ]);
  socket.write(Buffer.concat([
    PREFACE, frame(SETTINGS, 0, 0),
    frame(HEADERS, END_HEADERS, 1, block),
    frame(DATA, END_STREAM, 1, grpcFrame(Buffer.from(JSON.stringify({ count: 2048, size: 64 * 1024 })))),
  ]));
  // Nothing is ever read from this socket.
  socket.pause();
  let last = -1;
  for (let i = 0; i < 50 && server.stats.streamed !== last; i++) {
    last = server.stats.streamed;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(server.stats.streamed > 0, 'the call never reached the upstream');
  assert.ok(server.stats.streamed < 32 * 1024 * 1024, `upstream wrote ${server.stats.streamed} bytes to a client that reads nothing`);
  socket.destroy();
  await waitFor(() => server.stats.cancelled > cancelledBefore, 'the upstream call was not cancelled when the client left');
  const ok = await unary(client, { after: 'raw' });
  assert.equal(ok.error, null);
});

function lit(text: string): Buffer {
  return Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'latin1')]);
}

test('a trailers-only answer (status without messages) comes through as one', async () => {
  const r = await unary(client, { trailersOnly: true });
  assert.equal(r.error?.code, grpc.status.NOT_FOUND);
  assert.equal(r.error?.details, 'nothing here');
  // And on the wire: one HEADERS frame with END_STREAM, no DATA, grpc-status in it.
  const session = h2connect(runtime.proxy);
  session.on('error', () => {});
  const frame = grpcFrame(Buffer.from(JSON.stringify({ trailersOnly: true })));
  const { headers, trailers, data } = await rawCall(session, '/test.Echo/Unary', frame);
  session.close();
  assert.equal(headers[':status'], 200);
  assert.equal(headers['grpc-status'], '5');
  assert.equal(trailers, null);
  assert.equal(data.length, 0);
});

test('server streaming, client streaming and bidi calls', async () => {
  const received: number[] = [];
  const stream = client.Stream(Buffer.from(JSON.stringify({ count: 50, size: 1000 })));
  for await (const message of stream) received.push((message as Buffer).length);
  assert.equal(received.length, 50);
  assert.ok(received.every((n) => n === 1000));

  const collected = await new Promise<Record<string, number>>((resolve, reject) => {
    const call = client.Collect(new grpc.Metadata(), (error, res) => (error !== null ? reject(error) : resolve(JSON.parse(res!.toString()) as Record<string, number>)));
    for (let i = 0; i < 20; i++) call.write(Buffer.alloc(100 + i));
    call.end();
  });
  assert.deepEqual(collected, { messages: 20, bytes: 20 * 100 + 190 });

  const chat = client.Chat();
  const echoes: string[] = [];
  chat.on('data', (b: Buffer) => {
    echoes.push(b.toString());
    if (echoes.length < 5) chat.write(Buffer.from(`m${echoes.length}`));
    else chat.end();
  });
  chat.write(Buffer.from('m0'));
  await once(chat, 'end');
  // Each message goes out only after the previous echo came back: both directions are live at once.
  assert.deepEqual(echoes, ['echo:m0', 'echo:m1', 'echo:m2', 'echo:m3', 'echo:m4']);
});

test('key-auth on a grpc route: no key is UNAUTHENTICATED with Kong\'s message; a key passes', async () => {
  const locked = echoClient(address, 'test.Locked');
  try {
    const denied = await unary(locked, { a: 1 });
    assert.equal(denied.error?.code, grpc.status.UNAUTHENTICATED);
    assert.equal(denied.error?.details, 'No API key found in request');
    const md = new grpc.Metadata();
    md.set('apikey', 'alice-key');
    const allowed = await unary(locked, { a: 1 }, md);
    assert.equal(allowed.error, null);
    assert.deepEqual(allowed.value!['echo'], { a: 1 });
  } finally {
    locked.close();
  }
});

test('an upstream that is down: the client gets a gRPC error (Kong: 502, grpc-status 13), the gateway lives on', async () => {
  const down = echoClient(address, 'test.Down');
  try {
    const r = await unary(down, { a: 1 });
    assert.equal(r.error?.code, grpc.status.INTERNAL);
    assert.equal(r.error?.details, 'An invalid response was received from the upstream server');
  } finally {
    down.close();
  }
  const ok = await unary(client, { still: 'here' });
  assert.equal(ok.error, null);
});

test('an upstream that resets every connection: a gRPC error, the gateway lives on', async () => {
  const down = echoClient(address, 'test.Reset');
  try {
    const r = await unary(down, { a: 1 });
    assert.equal(r.error?.code, grpc.status.INTERNAL);
    assert.equal(r.error?.details, 'An invalid response was received from the upstream server');
  } finally {
    down.close();
  }
  // Reached (a retry happens only when the reset came before the HTTP/2 connection was up: a
  // gRPC call is a POST, which nginx does not send again once it went out).
  assert.ok(resetAccepts >= 1, 'the target was never reached');
  const ok = await unary(client, { still: 'here' });
  assert.equal(ok.error, null);
});

test("a grpcs-only route in cleartext answers Kong's grpc-status 1", async () => {
  const only = echoClient(address, 'test.SecureOnly');
  try {
    const r = await unary(only, {});
    assert.equal(r.error?.code, grpc.status.CANCELLED);
    assert.equal(r.error?.details, 'gRPC request matched gRPCs route');
  } finally {
    only.close();
  }
});

test('HTTP/1.1 or a non-gRPC request on a grpc route: 426 and 415, as Kong', async () => {
  const h1 = await request(`${runtime.proxy}/test.Echo/Unary`, { method: 'POST', headers: { 'content-type': 'application/grpc' }, body: 'x' });
  assert.equal(h1.status, 426);
  assert.equal(h1.headers['upgrade'], 'HTTP/2');
  assert.deepEqual(JSON.parse(h1.body), { message: 'Please use HTTP2 protocol' });
  const json = await request(`${runtime.proxy}/test.Echo/Unary`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(json.status, 415);
  assert.deepEqual(JSON.parse(json.body), { message: 'Non-gRPC request matched gRPC route' });
  const session = h2connect(runtime.proxy);
  session.on('error', () => {});
  const stream = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'text/plain' });
  stream.end('x');
  const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  stream.resume();
  session.close();
  assert.equal(headers[':status'], 415);
});

test('a client cancel resets the upstream stream', async () => {
  const before = server.stats.cancelled;
  const call = client.Stream(Buffer.from(JSON.stringify({ hold: true })));
  call.on('error', () => {});
  await once(call, 'data');
  call.cancel();
  await waitFor(() => server.stats.cancelled > before, 'the upstream call was not cancelled');
});

test('a client that stops reading holds the upstream back (no unbounded buffering), then gets every byte', async () => {
  const session = h2connect(runtime.proxy);
  session.on('error', () => {});
  const stream = session.request({ ':method': 'POST', ':path': '/test.Echo/Stream', 'content-type': 'application/grpc', te: 'trailers' });
  const size = 64 * 1024;
  const count = 2048; // 128 MiB offered
  stream.end(grpcFrame(Buffer.from(JSON.stringify({ count, size }))));
  stream.pause();
  await once(stream, 'response');
  // Not reading: what the upstream manages to hand over stalls far below what it offered.
  let last = -1;
  for (let i = 0; i < 50 && server.stats.streamed !== last; i++) {
    last = server.stats.streamed;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(server.stats.streamed < 32 * 1024 * 1024, `upstream wrote ${server.stats.streamed} bytes to a client that reads nothing`);
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
  let trailers: IncomingHttpHeaders | null = null;
  stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
  stream.resume();
  await once(stream, 'end');
  session.close();
  assert.equal(bytes, count * (size + 5));
  assert.equal(trailers!['grpc-status'], '0');
});

test('an unrelated reconfigure leaves a streaming call and its session alone', async () => {
  const chat = client.Chat();
  const echoes: string[] = [];
  chat.on('data', (b: Buffer) => echoes.push(b.toString()));
  chat.write(Buffer.from('before'));
  await waitFor(() => echoes.length === 1, 'no first echo');
  const next = config(`  - username: bob
    keyauth_credentials:
      - key: bob-key
`);
  const res = await request(`${runtime.admin}/config?check_hash=1`, { method: 'POST', headers: { 'content-type': 'application/x-yaml' }, body: next });
  assert.equal(res.status, 201, res.body);
  chat.write(Buffer.from('after'));
  await waitFor(() => echoes.length === 2, 'no echo after the reconfigure');
  chat.end();
  await once(chat, 'end');
  assert.deepEqual(echoes, ['echo:before', 'echo:after']);
  const again = await unary(client, { x: 1 });
  assert.equal(again.error, null);
  // The calls rode on the session the first one opened (the reconfigure did not close it).
  const workers = JSON.parse((await request(`${runtime.admin}/workers`)).body) as { data: Array<{ status: { grpc: { sessions: number; streams: number; reuses: number; open: number } } }> };
  const grpcStatus = workers.data[0]!.status.grpc;
  assert.ok(grpcStatus.streams >= 2 && grpcStatus.reuses >= 1 && grpcStatus.open >= 1, JSON.stringify(grpcStatus));
});

/** A gRPC length-prefixed message (uncompressed). */
export function grpcFrame(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

function rawCall(session: ClientHttp2Session, path: string, body: Buffer): Promise<{ headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders | null; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    stream.on('response', (h: IncomingHttpHeaders) => (headers = h));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ headers, trailers, data: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end(body);
  });
}

async function waitFor(check: () => boolean, message: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) assert.fail(message);
    await new Promise((r) => setTimeout(r, 20));
  }
}
