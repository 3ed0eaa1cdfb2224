// WebSocket through the worker's real data path (listener, proxy, plugins, upstream connector,
// tunnel), with the `ws` package as client and server, and raw sockets where a test needs exact
// bytes: the handshake relayed as a 101, frames both ways, access-phase plugins stopping a
// handshake, a non-101 answer relayed as a response, bytes pipelined behind a handshake, closes on
// either side, and a peer that never reads (memory bounded, idle timeout closes).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { RawConnection } from '../../helpers/raw-http.ts';
import { snapshotOf, until, type Cleanups } from '../plugins/helpers.ts';
import { startProxy, type ProxyHarness } from '../plugins/proxy-harness.ts';

interface WsUpstream {
  url: string;
  wss: WebSocketServer;
  /** The handshake requests the upstream saw. */
  handshakes: IncomingMessage[];
}

/** A `ws` echo server on a real HTTP server; `onConnection` replaces the echo. */
async function startWsUpstream(t: Cleanups, onConnection?: (socket: WebSocket, req: IncomingMessage) => void): Promise<WsUpstream> {
  const server = createHttpServer((_req, res) => res.end('plain http'));
  const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });
  const handshakes: IncomingMessage[] = [];
  wss.on('connection', (socket, req) => {
    handshakes.push(req);
    if (onConnection !== undefined) return onConnection(socket, req);
    socket.on('message', (data, binary) => socket.send(data, { binary }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, wss, handshakes };
}

/** A raw TCP upstream: `script` gets each accepted socket. */
async function startRawUpstream(t: Cleanups, script: (socket: Socket) => void): Promise<{ url: string; server: Server }> {
  const server = createNetServer({ allowHalfOpen: true }, script);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function gateway(t: Cleanups, upstreamUrl: string, extra: Record<string, unknown> = {}, service: Record<string, unknown> = {}): Promise<ProxyHarness> {
  return startProxy(t, snapshotOf({ services: [{ name: 's', url: upstreamUrl, ...service, routes: [{ name: 'r', paths: ['/ws'] }] }], ...extra }));
}

function wsUrl(proxy: ProxyHarness, path = '/ws'): string {
  return `${proxy.url.replace('http:', 'ws:')}${path}`;
}

async function openClient(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}, protocols?: string[]): Promise<WebSocket> {
  const client = new WebSocket(url, protocols, options);
  await once(client, 'open');
  return client;
}

function nextMessage(client: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => client.once('message', (data: RawData, binary: boolean) => resolve({ data: data as Buffer, binary })));
}

/** The handshake refused before any upgrade: the status `ws` saw in 'unexpected-response'. */
function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url, { headers });
    client.on('open', () => reject(new Error('the handshake was accepted')));
    client.on('error', () => {});
    client.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
  });
}

const HANDSHAKE = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: gw.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('WebSocket proxying', () => {
  test('a ws client and server talk through the gateway: text, binary, 1 MiB frames, subprotocol, forwarded headers', async (t) => {
    const upstream = await startWsUpstream(t);
    const proxy = await gateway(t, upstream.url);
    const client = await openClient(wsUrl(proxy), {}, ['chat']);
    t.after(() => client.terminate());
    assert.equal(client.protocol, 'chat', 'the upstream’s Sec-WebSocket-Protocol reached the client');
    client.send('hello');
    const text = await nextMessage(client);
    assert.equal(text.data.toString(), 'hello');
    assert.equal(text.binary, false);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    client.send(big);
    const echoed = await nextMessage(client);
    assert.equal(echoed.binary, true);
    assert.ok(echoed.data.equals(big), 'the 1 MiB binary frame came back byte for byte');
    const seen = upstream.handshakes[0]!;
    assert.equal(seen.headers.upgrade, 'websocket');
    assert.match(seen.headers.connection ?? '', /upgrade/i);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-path'], '/ws');
    assert.ok(seen.headers['x-forwarded-for'] !== undefined);
    assert.equal(proxy.targets.tunnels.active, 1);
    assert.equal(proxy.targets.tunnels.opened, 1);
    client.close(1000, 'bye');
    await once(client, 'close');
    await until(() => proxy.targets.tunnels.active === 0);
    assert.ok(proxy.targets.tunnels.bytesFromClient > big.length, 'client → upstream bytes counted');
    assert.ok(proxy.targets.tunnels.bytesFromUpstream > big.length, 'upstream → client bytes counted');
  });

  test('ws and wss service protocols: ws:// urls reach a plain target, the port defaults by scheme', async (t) => {
    const upstream = await startWsUpstream(t);
    const proxy = await gateway(t, upstream.url.replace('http:', 'ws:'));
    assert.equal(Object.values(proxy.state.snapshot.entities.services)[0]!.protocol, 'ws');
    const client = await openClient(wsUrl(proxy));
    t.after(() => client.terminate());
    client.send('over ws');
    assert.equal((await nextMessage(client)).data.toString(), 'over ws');
    const defaults = snapshotOf({ services: [{ name: 'a', url: 'ws://example.test' }, { name: 'b', url: 'wss://example.test/x' }] });
    const [a, b] = Object.values(defaults.entities.services).sort((x, y) => (x.name! < y.name! ? -1 : 1));
    assert.deepEqual([a!.protocol, a!.port, b!.protocol, b!.port, b!.path], ['ws', 80, 'wss', 443, '/x']);
  });

  test('access phase runs first: key-auth answers 401 and rate-limiting 429, and no upgrade reaches the upstream', async (t) => {
    const upstream = await startWsUpstream(t);
    const proxy = await gateway(t, upstream.url, {
      consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
      plugins: [{ name: 'key-auth', route: 'r' }, { name: 'rate-limiting', route: 'r', config: { day: 1 } }],
    });
    const unauthenticated = await refusedStatus(wsUrl(proxy));
    assert.equal(unauthenticated.status, 401);
    assert.equal(upstream.handshakes.length, 0);
    const client = await openClient(wsUrl(proxy), { headers: { apikey: 'alice-key' } });
    t.after(() => client.terminate());
    assert.equal(upstream.handshakes.length, 1);
    assert.equal(upstream.handshakes[0]!.headers['x-consumer-username'], 'alice');
    const limited = await refusedStatus(wsUrl(proxy), { apikey: 'alice-key' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['x-ratelimit-remaining-day'], '0');
    assert.equal(upstream.handshakes.length, 1, 'the refused handshake never reached the upstream');
    // The tunnel opened before the limit was reached still works.
    client.send('still here');
    assert.equal((await nextMessage(client)).data.toString(), 'still here');
  });

  test('header_filter runs on the 101 (as Kong): response-transformer edits the handshake answer, the tunnel works', async (t) => {
    const upstream = await startWsUpstream(t);
    const proxy = await gateway(t, upstream.url, {
      plugins: [{ name: 'response-transformer', route: 'r', config: { add: { headers: ['x-added:yes'] } } }],
    });
    const client = new WebSocket(wsUrl(proxy));
    t.after(() => client.terminate());
    // 'open' follows 'upgrade' in the same tick: wait for both at once.
    const [[answer]] = (await Promise.all([once(client, 'upgrade'), once(client, 'open')])) as [[IncomingMessage], unknown];
    assert.equal(answer.statusCode, 101);
    assert.equal(answer.headers['x-added'], 'yes');
    assert.equal(answer.headers.upgrade, 'websocket');
    client.send('after the edited 101');
    assert.equal((await nextMessage(client)).data.toString(), 'after the edited 101');
  });

  test('an upstream that answers a handshake with 200 is relayed as a response; the connection then closes', async (t) => {
    const upstream = await startRawUpstream(t, (socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 9\r\ncontent-type: text/plain\r\n\r\nno socket'));
    });
    const proxy = await gateway(t, upstream.url);
    const connection = await RawConnection.open(proxy.url);
    t.after(() => connection.socket.destroy());
    // The bytes after the handshake are not HTTP: they must not be parsed as a second request.
    connection.socket.write(`${HANDSHAKE('/ws')}GET /ws HTTP/1.1\r\nHost: x\r\n\r\n`);
    const response = await connection.readResponse();
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'no socket');
    assert.equal(response.headers.connection, 'close');
    await connection.waitForEnd();
    assert.equal(proxy.targets.tunnels.opened, 0);
  });

  test('bytes pipelined behind the handshake and behind the 101 belong to the tunnel, both ways', async (t) => {
    let upstreamGot = Buffer.alloc(0);
    const upstream = await startRawUpstream(t, (socket) => {
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        if (!head.includes('\r\n\r\n')) {
          head += chunk.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) return;
          upstreamGot = Buffer.concat([upstreamGot, Buffer.from(head.slice(end + 4), 'latin1')]);
          // 101 and the first tunnel bytes in one write.
          socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nFROM-UPSTREAM');
          return;
        }
        upstreamGot = Buffer.concat([upstreamGot, chunk]);
      });
    });
    const proxy = await gateway(t, upstream.url);
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    t.after(() => socket.destroy());
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (got += chunk));
    await once(socket, 'connect');
    socket.write(`${HANDSHAKE('/ws')}EARLY-CLIENT-BYTES`);
    await until(() => got.includes('FROM-UPSTREAM'));
    assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(got, /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
    assert.match(got, /\r\nupgrade: websocket\r\n/i);
    assert.match(got, /\r\nvia: 1\.1 sluice\r\n/);
    assert.ok(got.endsWith('\r\n\r\nFROM-UPSTREAM'), JSON.stringify(got));
    await until(() => upstreamGot.toString('latin1') === 'EARLY-CLIENT-BYTES');
    socket.write('MORE');
    await until(() => upstreamGot.toString('latin1') === 'EARLY-CLIENT-BYTESMORE');
  });

  test('a handshake with a body: the body reaches the upstream as the request body, then the tunnel', async (t) => {
    let seen = '';
    const upstream = await startRawUpstream(t, (socket) => {
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        const first = seen === '';
        seen += chunk;
        if (first || !seen.includes('\r\n\r\nbody!')) {
          if (seen.includes('\r\n\r\nbody!')) socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
          return;
        }
      });
    });
    const proxy = await gateway(t, upstream.url);
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    t.after(() => socket.destroy());
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (got += chunk));
    await once(socket, 'connect');
    socket.write(`${HANDSHAKE('/ws', 'Content-Length: 5\r\n')}body!TUNNEL`);
    await until(() => got.startsWith('HTTP/1.1 101'));
    await until(() => seen.endsWith('body!TUNNEL'));
    assert.match(seen, /\r\ncontent-length: 5\r\n/i);
  });

  test('either side closing ends the tunnel; the other side sees the close, the request is logged once', async (t) => {
    const upstream = await startWsUpstream(t);
    const proxy = await gateway(t, upstream.url);
    // The upstream closes.
    const first = await openClient(wsUrl(proxy));
    const serverSide = [...upstream.wss.clients][0]!;
    serverSide.close(4001, 'upstream says bye');
    const [code, reason] = (await once(first, 'close')) as [number, Buffer];
    assert.equal(code, 4001);
    assert.equal(reason.toString(), 'upstream says bye');
    await until(() => proxy.targets.tunnels.active === 0);
    // The client vanishes without a close frame.
    const second = await openClient(wsUrl(proxy));
    await until(() => upstream.wss.clients.size === 1);
    const upstreamSide = [...upstream.wss.clients][0]!;
    const closed = once(upstreamSide, 'close');
    second.terminate();
    const [abnormal] = (await closed) as [number];
    assert.equal(abnormal, 1006, 'the upstream saw the connection drop');
    await until(() => proxy.targets.tunnels.active === 0);
    assert.equal(proxy.targets.tunnels.opened, 2);
  });

  test('a client that never reads: the upstream is held back (memory bounded), and the idle timeout closes both', async (t) => {
    const CHUNK = Buffer.alloc(64 * 1024, 0x61);
    let offered = 0;
    let upstreamClosed = false;
    const upstream = await startRawUpstream(t, (socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
        // Writes while the socket takes them, up to 256 MiB: backpressure is what stops it.
        const pump = (): void => {
          while (offered < 256 * 1024 * 1024) {
            offered += CHUNK.length;
            if (!socket.write(CHUNK)) return void socket.once('drain', pump);
          }
        };
        pump();
      });
      socket.on('close', () => (upstreamClosed = true));
      socket.on('error', () => {});
    });
    const proxy = await gateway(t, upstream.url, {}, { read_timeout: 1500 });
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    t.after(() => socket.destroy());
    await once(socket, 'connect');
    socket.write(HANDSHAKE('/ws'));
    // Read the 101, then nothing more.
    await once(socket, 'data');
    socket.pause();
    await until(() => proxy.targets.tunnels.bytesFromUpstream > 0);
    // Let the pipe fill: once the sockets' buffers are full, nothing moves.
    let last = -1;
    while (proxy.targets.tunnels.bytesFromUpstream !== last) {
      last = proxy.targets.tunnels.bytesFromUpstream;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.ok(offered < 256 * 1024 * 1024, 'the upstream was held back');
    assert.ok(proxy.targets.tunnels.bytesFromUpstream < 32 * 1024 * 1024, `the gateway read ${proxy.targets.tunnels.bytesFromUpstream} bytes for a client that reads nothing`);
    await until(() => upstreamClosed, 10_000);
    assert.equal(proxy.targets.tunnels.idleClosed, 1);
    assert.equal(proxy.targets.tunnels.active, 0);
  });

  test('other Upgrade values are not tunnelled: h2c or an Upgrade without Connection: upgrade reach the upstream without it', async (t) => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const server = createHttpServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const proxy = await gateway(t, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const h2c = await RawConnection.open(proxy.url);
    t.after(() => h2c.socket.destroy());
    h2c.socket.write('GET /ws HTTP/1.1\r\nHost: gw\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n');
    const answered = await h2c.readResponse();
    assert.equal(answered.status, 200);
    assert.equal(answered.headers.connection, 'close');
    const noConnection = await RawConnection.open(proxy.url);
    t.after(() => noConnection.socket.destroy());
    noConnection.socket.write('GET /ws HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\n\r\n');
    assert.equal((await noConnection.readResponse()).status, 200);
    assert.equal(seen.length, 2);
    for (const headers of seen) {
      assert.equal(headers.upgrade, undefined);
      assert.equal(headers['http2-settings'], undefined);
    }
    assert.equal(proxy.targets.tunnels.opened, 0);
  });
});
