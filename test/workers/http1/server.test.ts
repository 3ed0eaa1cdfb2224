// The worker's HTTP/1.1 listener (workers/http1) on its own, with handlers written for each test:
// what it refuses to write, and how it survives a handler that throws.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import type { RequestHandler } from '../../../workers/http1/connection.ts';
import { Http1Server } from '../../../workers/http1/server.ts';

async function serve(t: TestContext, handler: RequestHandler, failed: (error: unknown) => void = () => {}): Promise<number> {
  const server = new Http1Server({ handler, failed }, () => {});
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.net.address() as AddressInfo).port;
}

function get(port: number, path = '/'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a header value with CR or LF is refused where it is set: no response splitting', async (t) => {
  let refused: unknown = null;
  const port = await serve(t, (_req, res) => {
    try {
      res.setHeader('x-note', 'fine\r\nset-cookie: stolen=1');
    } catch (error) {
      refused = error;
    }
    res.setHeader('content-length', 2);
    res.end('ok');
  });
  const response = await get(port);
  assert.ok(refused instanceof TypeError);
  assert.equal(response.status, 200);
  assert.equal(response.headers['set-cookie'], undefined);
  assert.equal(response.headers['x-note'], undefined);
});

test('a handler that throws loses its connection, not the server', async (t) => {
  const faults: unknown[] = [];
  const port = await serve(
    t,
    (req, res) => {
      if (req.url === '/throw') throw new Error('handler bug');
      res.end('alive');
    },
    (error) => faults.push(error),
  );
  await assert.rejects(get(port, '/throw'), { code: 'ECONNRESET' });
  const response = await get(port, '/after');
  assert.equal(response.status, 200);
  assert.equal(response.body, 'alive');
  // Chunked, since the handler gave no length.
  assert.equal(response.headers['transfer-encoding'], 'chunked');
  assert.equal(faults.length, 1);
  assert.equal((faults[0] as Error).message, 'handler bug');
});

test('a client that shuts its side after the request still gets the whole response', async (t) => {
  const port = await serve(t, (_req, res) => {
    // Answer later, once the client's FIN has surely arrived.
    setTimeout(() => res.end('late answer'), 50);
  });
  const socket = connect(port, '127.0.0.1');
  socket.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  await new Promise((resolve) => socket.on('close', resolve));
  assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(received, /connection: close\r\n/);
  assert.ok(received.endsWith('b\r\nlate answer\r\n0\r\n\r\n'), received);
});

test('a request that arrives a byte at a time parses as if it came whole', async (t) => {
  let seen: { method: string; url: string; raw: string[]; body: string } | null = null;
  const port = await serve(t, (req, res) => {
    let body = '';
    req.body?.setEncoding('latin1');
    req.body?.on('data', (chunk: string) => (body += chunk));
    const done = (): void => {
      seen = { method: req.method, url: req.url, raw: req.rawHeaders, body };
      res.end('done');
    };
    if (req.body === null) done();
    else req.body.on('end', done);
  });
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  t.after(() => socket.destroy());
  const request =
    'POST /split/path?q=1 HTTP/1.1\r\nHost: split.example\r\nX-Long-Name: a value with spaces  \r\n' +
    'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (answer += chunk));
  for (const byte of request) {
    socket.write(byte);
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (!answer.endsWith('0\r\n\r\n')) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(seen, {
    method: 'POST',
    url: '/split/path?q=1',
    // Trailing whitespace of a value is not part of it.
    raw: ['Host', 'split.example', 'X-Long-Name', 'a value with spaces', 'Transfer-Encoding', 'chunked'],
    body: 'hello world',
  });
});
