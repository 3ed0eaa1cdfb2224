// A request body a plugin reads whole (request-transformer's JSON edits) is held in one buffer
// of its declared length (workers/proxy/context.ts readDeclared). A declaration alone must not buy
// that buffer: clients that declare 16 MiB and then send nothing, or send slowly, hold only what
// they sent, and --client-body-timeout ends them. Measured from the worker's own ArrayBuffer
// memory (`array_buffers` in GET /workers), over raw sockets.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

const CLIENT_BODY = 1500;
/** Loose: 50 connections timing out together on a shared, noisy machine. */
const LOOSE = 6000;
const DECLARED = 16 * 1024 * 1024;
const CONNECTIONS = 50;

let runtime: Runtime;
let echo: Upstream;

before(async () => {
  echo = await startUpstream(echoHandler);
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: echo
    url: ${echo.url}
    routes:
      - name: edit
        paths: [/edit]
        plugins: [{ name: request-transformer, config: { add: { body: ["added:yes"] } } }]
`);
  runtime = await startRuntime(['--config', config, '--workers', '1', '--client-body-timeout', String(CLIENT_BODY)]);
});

after(async () => {
  await runtime.stop();
  await echo.close();
});

async function arrayBuffers(): Promise<number> {
  const reply = await request(`${runtime.admin}/workers`);
  const [entry] = (JSON.parse(reply.body) as { data: Array<{ status: { array_buffers: number } }> }).data;
  return entry!.status.array_buffers;
}

/** Opens a connection and sends the head of a JSON POST declaring `DECLARED` bytes. */
async function declare(): Promise<{ socket: Socket; sentAt: number; closed: Promise<{ at: number; received: string }> }> {
  const url = new URL(runtime.proxy);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => ({ at: performance.now(), received }));
  socket.write(`POST /edit HTTP/1.1\r\nhost: sluice.test\r\ncontent-type: application/json\r\ncontent-length: ${DECLARED}\r\n\r\n`);
  return { socket, sentAt: performance.now(), closed };
}

test('50 clients that declare 16 MiB and send nothing or little hold what they sent, not 16 MiB each, and get 408', async () => {
  // A small edit first: the worker's JSON path is warm, so the baseline is steady.
  const body = '{"a":1}';
  const warm = await request(`${runtime.proxy}/edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(warm.status, 200);
  const baseline = await arrayBuffers();

  const silent = await Promise.all(Array.from({ length: CONNECTIONS / 2 }, () => declare()));
  const slow = await Promise.all(Array.from({ length: CONNECTIONS / 2 }, () => declare()));
  // The slow half sends 64 KiB at once, then 8 KiB every 300 ms (each gap shorter than the body
  // timeout): under 200 KiB each in all, far below the 1 MiB from which the whole buffer is made.
  for (const { socket } of slow) socket.write(`{"k":"${'x'.repeat(64 * 1024)}`);
  await delay(500);
  // All 50 are waiting for their bodies now (the first timeout is 1.5 s after the heads).
  const held = (await arrayBuffers()) - baseline;
  // Declared: 50 x 16 MiB = 800 MiB. Sent: 25 x 64 KiB = 1.6 MiB, plus the socket reads' buffers.
  assert.ok(held < DECLARED, `the worker holds ${(held / 1048576).toFixed(1)} MiB of ArrayBuffers for ${CONNECTIONS} bodies declared 16 MiB`);

  let lastSent = performance.now();
  for (let i = 0; i < 10; i++) {
    for (const { socket } of slow) socket.write('y'.repeat(8 * 1024));
    lastSent = performance.now();
    await delay(300);
  }
  // The silent ones: 408 one body timeout after their heads.
  for (const { sentAt, closed } of silent) {
    const { at, received } = await closed;
    assert.match(received, /^HTTP\/1\.1 408 /);
    assert.ok(at - sentAt >= CLIENT_BODY - 50, `a silent body was cut ${(at - sentAt).toFixed(0)} ms after its head`);
  }
  // The slow ones kept going for 3.5 s, longer than the timeout, and are cut one timeout after their last bytes.
  for (const { closed } of slow) {
    const { at, received } = await closed;
    assert.match(received, /^HTTP\/1\.1 408 /);
    assert.ok(at - lastSent >= CLIENT_BODY - 350, `a slow body was cut ${(at - lastSent).toFixed(0)} ms after its last bytes`);
    assert.ok(at - lastSent < LOOSE, `a slow body was cut ${(at - lastSent).toFixed(0)} ms after its last bytes`);
  }
  assert.equal((await request(`${runtime.proxy}/edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status, 200);
});
