// request-size-limiting on the wire (raw sockets) through the worker's real data path and a real
// upstream: Content-Length over the limit answered before the body is read (the body never sent),
// 417 with Expect: 100-continue, chunked bodies counted as they stream, split writes, pipelined
// requests after a 413 (the connection closes: the unread body would be read as a request),
// require_content_length, size units, and memory bounded under a long over-limit stream.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { RawConnection, rawExchange } from '../../../helpers/raw-http.ts';
import { startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

interface Seen {
  method: string;
  bytes: number;
}

async function gateway(t: TestContext, config: Record<string, unknown>): Promise<{ proxy: ProxyHarness; seen: Seen[] }> {
  const seen: Seen[] = [];
  const upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', bytes });
      res.end(`got ${bytes}`);
    });
    req.on('error', () => undefined);
  });
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/'] }] }], plugins: [{ name: 'request-size-limiting', config }] }));
  return { proxy, seen };
}

const LIMIT_BODY = { message: 'Request size limit exceeded' };

function chunk(size: number): string {
  return `${size.toString(16)}\r\n${'a'.repeat(size)}\r\n`;
}

describe('request-size-limiting', () => {
  test('a body within the limit reaches the upstream whole; exactly the limit passes', async (t) => {
    const { proxy, seen } = await gateway(t, { allowed_payload_size: 10, size_unit: 'bytes' });
    const { connection, responses } = await rawExchange(proxy.url, `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n${'b'.repeat(10)}`);
    assert.equal(responses[0]!.status, 200);
    assert.equal(responses[0]!.body.toString(), 'got 10');
    assert.ok(await connection.staysOpen(), 'keep-alive');
    connection.destroy();
    assert.deepEqual(seen, [{ method: 'POST', bytes: 10 }]);
  });

  test('Content-Length over the limit: 413 before the body is sent, then the connection closes', async (t) => {
    const { proxy, seen } = await gateway(t, { allowed_payload_size: 1, size_unit: 'kilobytes' });
    const connection = await RawConnection.open(proxy.url);
    // Head only: the body is never sent, the answer must not wait for it.
    connection.write('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n');
    const response = await connection.readResponse();
    assert.equal(response.status, 413);
    assert.deepEqual(JSON.parse(response.body.toString()), LIMIT_BODY);
    assert.equal(response.headers['connection'], 'close');
    await connection.waitForEnd();
    assert.equal(seen.length, 0, 'the upstream never saw it');
  });

  test('Expect: 100-continue over the limit is answered 417, as Kong', async (t) => {
    const { proxy } = await gateway(t, { allowed_payload_size: 1, size_unit: 'kilobytes' });
    const connection = await RawConnection.open(proxy.url);
    connection.write('POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n');
    let response = await connection.readResponse();
    // The listener's interim 100 Continue may come first (it answers Expect itself).
    if (response.status === 100) response = await connection.readResponse();
    assert.equal(response.status, 417);
    assert.deepEqual(JSON.parse(response.body.toString()), LIMIT_BODY);
    await connection.waitForEnd();
  });

  test('pipelined after a Content-Length 413: the next request is never run (its bytes are the unread body)', async (t) => {
    const { proxy, seen } = await gateway(t, { allowed_payload_size: 16, size_unit: 'bytes' });
    const next = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
    const connection = await RawConnection.open(proxy.url);
    connection.write(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${next.length + 20}\r\n\r\n${next}`);
    const response = await connection.readResponse();
    assert.equal(response.status, 413);
    await connection.waitForEnd();
    assert.equal(connection.pending.length, 0, 'one response only');
    assert.equal(seen.length, 0);
  });

  test('a body within the limit that arrived whole keeps the connection: pipelined requests go on', async (t) => {
    const { proxy, seen } = await gateway(t, { allowed_payload_size: 16, size_unit: 'bytes' });
    const { connection, responses } = await rawExchange(
      proxy.url,
      `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcdPOST /y HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(8)}0\r\n\r\nGET /z HTTP/1.1\r\nHost: a\r\n\r\n`,
      3,
    );
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(responses.map((r) => r.body.toString()), ['got 4', 'got 8', 'got 0']);
    connection.destroy();
    assert.equal(seen.length, 3);
  });

  test('chunked within the limit, in split writes, streams through whole', async (t) => {
    const { proxy, seen } = await gateway(t, { allowed_payload_size: 1, size_unit: 'kilobytes' });
    const connection = await RawConnection.open(proxy.url);
    const wire = `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(500)}${chunk(500)}${chunk(24)}0\r\n\r\n`;
    // Split inside the head, inside a chunk size line, and inside chunk data.
    for (const [from, to] of [[0, 20], [20, 70], [70, 300], [300, 760], [760, wire.length]] as const) {
      connection.write(wire.slice(from, to));
      await delay(5);
    }
    const response = await connection.readResponse();
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'got 1024');
    connection.destroy();
    assert.deepEqual(seen, [{ method: 'POST', bytes: 1024 }]);
  });

  test('chunked over the limit: 413 with Kong\'s body once the count passes it, then close; nothing after it runs', async (t) => {
    const { proxy } = await gateway(t, { allowed_payload_size: 1, size_unit: 'kilobytes' });
    const connection = await RawConnection.open(proxy.url);
    connection.write(`POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(600)}`);
    await delay(20);
    // The second chunk takes it past 1024 bytes; a pipelined request follows the (unfinished) body.
    connection.write(`${chunk(600)}${chunk(10)}0\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n`);
    const response = await connection.readResponse();
    assert.equal(response.status, 413);
    assert.deepEqual(JSON.parse(response.body.toString()), LIMIT_BODY);
    assert.equal(response.headers['connection'], 'close');
    await connection.waitForEnd();
    assert.equal(connection.pending.length, 0, 'one response only');
  });

  test('chunked over the limit in one write with its head (counted before the plugin ran)', async (t) => {
    const { proxy } = await gateway(t, { allowed_payload_size: 100, size_unit: 'bytes' });
    const { connection, responses } = await rawExchange(proxy.url, `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(101)}0\r\n\r\n`);
    assert.equal(responses[0]!.status, 413);
    await connection.waitForEnd();
  });

  test('require_content_length: 411 without Content-Length unless chunked', async (t) => {
    const { proxy } = await gateway(t, { require_content_length: true });
    const refused = await rawExchange(proxy.url, 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(refused.responses[0]!.status, 411);
    assert.deepEqual(JSON.parse(refused.responses[0]!.body.toString()), { message: 'A valid Content-Length header is required' });
    refused.connection.destroy();
    const chunked = await rawExchange(proxy.url, `POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(3)}0\r\n\r\n`);
    assert.equal(chunked.responses[0]!.status, 200);
    chunked.connection.destroy();
    const length = await rawExchange(proxy.url, 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n');
    assert.equal(length.responses[0]!.status, 200);
    length.connection.destroy();
  });

  test('size units: megabytes is 2^20 bytes (the default unit, 128 of them by default)', async (t) => {
    const { proxy } = await gateway(t, { allowed_payload_size: 1 });
    const at = await rawExchange(proxy.url, `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n${'c'.repeat(1_048_576)}`);
    assert.equal(at.responses[0]!.status, 200);
    at.connection.destroy();
    const over = await RawConnection.open(proxy.url);
    over.write('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n');
    assert.equal((await over.readResponse()).status, 413);
    over.destroy();
  });

  test('memory stays bounded while a client streams far past the limit', async (t) => {
    const { proxy } = await gateway(t, { allowed_payload_size: 64, size_unit: 'kilobytes' });
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const connection = await RawConnection.open(proxy.url);
    connection.write('POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    const piece = chunk(64 * 1024);
    // Up to 64 MiB offered; the gateway stops reading at 64 KiB and closes.
    for (let i = 0; i < 1024 && !connection.ended && !connection.closed; i++) {
      if (!connection.socket.write(piece)) await Promise.race([new Promise((resolve) => connection.socket.once('drain', resolve)), delay(200)]);
    }
    const response = await connection.readResponse();
    assert.equal(response.status, 413);
    connection.destroy();
    gc?.();
    const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 24 * 1024 * 1024, `grew ${grown} bytes`);
  });
});
