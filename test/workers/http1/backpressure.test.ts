// The listener on its own: a client that pipelines requests and never reads keeps the server
// socket's unsent output bounded, whatever writes it (answers here come from the handler at once,
// as a gateway's error and plugin answers do); and the parser resumes once the client reads.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_LISTENER_LIMITS } from '../../../runtime/protocol/listener-limits.ts';
import { Http1Server } from '../../../workers/http1/server.ts';

const ANSWER = 'x'.repeat(300);

test('a pipelined flood that is never read: the server socket holds under 1 MiB of output; reading lets every request be answered', async (t) => {
  let answered = 0;
  let maxUnsent = 0;
  const server = new Http1Server(
    {
      handler: (req, res) => {
        res.setHeader('content-length', ANSWER.length);
        res.setHeader('date', 'fixed');
        res.end(ANSWER);
        answered++;
        maxUnsent = Math.max(maxUnsent, req.socket.writableLength);
      },
      failed: () => {},
    },
    () => {},
    // Every request on one connection (the default would close it after 1000).
    { ...DEFAULT_LISTENER_LIMITS, keepaliveRequests: 2 ** 31 - 1 },
  );
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = connect((server.net.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  client.pause();
  const request = 'GET /flood HTTP/1.1\r\nHost: sluice.test\r\n\r\n';
  const count = Math.floor((10 * 1000 * 1000) / request.length);
  client.write(request.repeat(count));
  // Until the server stops answering (the kernel takes the whole flood on loopback: the client's
  // own writes need not stall).
  let last = -1;
  for (let still = 0; still < 10; ) {
    await delay(100);
    still = answered === last ? still + 1 : 0;
    last = answered;
  }
  assert.ok(answered < count / 2, `${answered} of ${count} requests answered although the client read nothing`);
  assert.ok(maxUnsent < 1024 * 1024, `unsent output reached ${maxUnsent} bytes`);
  // The client reads: every request gets its answer, none lost (all answers are the same size).
  const size = Buffer.byteLength(`HTTP/1.1 200 OK\r\ncontent-length: ${ANSWER.length}\r\ndate: fixed\r\nconnection: keep-alive\r\n\r\n${ANSWER}`);
  let received = 0;
  let tail: Buffer = Buffer.alloc(0);
  client.on('data', (chunk: Buffer) => {
    received += chunk.length;
    tail = chunk;
  });
  client.resume();
  while (received < count * size) await delay(20);
  assert.equal(received, count * size);
  assert.equal(answered, count);
  assert.ok(tail.toString('latin1').endsWith(`\r\n\r\n${ANSWER}`));
});

test('requests pipelined behind one whose response is slow: the server stops reading past a bound, then answers every one', async (t) => {
  let answered = 0;
  let held: (() => void) | null = null;
  let serverSocket: Socket | null = null;
  const server = new Http1Server(
    {
      handler: (req, res) => {
        serverSocket = req.socket;
        const answer = (): void => {
          res.setHeader('content-length', 2);
          res.end('ok');
          answered++;
        };
        // The first response waits until the test releases it; the others are answered at once.
        if (held === null && answered === 0) held = answer;
        else answer();
      },
      failed: () => {},
    },
    () => {},
    { ...DEFAULT_LISTENER_LIMITS, keepaliveRequests: 2 ** 31 - 1 },
  );
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = connect((server.net.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  let received = '';
  client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const request = 'GET /slow HTTP/1.1\r\nHost: sluice.test\r\n\r\n';
  const count = Math.floor((4 * 1024 * 1024) / request.length);
  client.write(request.repeat(count));
  // Until the server stops reading: its byte count stays put.
  let last = -1;
  for (let still = 0; still < 10; ) {
    await delay(100);
    const read = (serverSocket as Socket | null)?.bytesRead ?? 0;
    still = read === last ? still + 1 : 0;
    last = read;
  }
  assert.equal(answered, 0);
  assert.ok(last < 1024 * 1024, `the server read ${last} bytes of a ${count * request.length}-byte flood while a response was pending`);
  // The slow response ends: every pipelined request is read and answered, in order, none lost.
  (held as (() => void) | null)?.();
  while (answered < count) await delay(20);
  const responses = (): number => received.match(/HTTP\/1\.1 200 OK\r\n/g)?.length ?? 0;
  while (responses() < count) await delay(100);
  assert.equal(responses(), count);
  assert.ok(received.endsWith('\r\n\r\nok'));
});
