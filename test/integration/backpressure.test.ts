// Output backpressure and the send timeout, black-box against a real runtime (one worker): a
// client that pipelines requests and never reads cannot make the worker queue its answers, and a
// client that stops reading a response is closed after --client-send-timeout, its upstream
// request aborted.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { RawConnection } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

const SEND_TIMEOUT_MS = 1500;
const MiB = 1024 * 1024;

let runtime: Runtime | undefined;
let app: Upstream | undefined;

/** The endless upstream response: when it last got rid of bytes, and when and how it closed. */
const stream = { lastProgress: 0, closedAt: 0, finished: true, started: false };

function appHandler(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (req.url !== '/p/endless') {
    res.writeHead(200, { 'content-length': 2 });
    res.end('ok');
    return;
  }
  stream.started = true;
  stream.lastProgress = performance.now();
  res.once('close', () => {
    stream.closedAt = performance.now();
    stream.finished = res.writableFinished;
  });
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const pump = (): void => {
    stream.lastProgress = performance.now();
    while (!res.destroyed && res.write(chunk)) stream.lastProgress = performance.now();
  };
  res.on('drain', pump);
  pump();
}

before(async () => {
  app = await startUpstream(appHandler);
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${app.url}
    routes:
      - name: proxied
        paths: [/p]
        strip_path: false
  - name: terminated
    url: ${app.url}
    routes:
      - name: terminated
        paths: [/t]
    plugins:
      - name: request-termination
        config: { status_code: 200, message: "a plugin answer, written by the gateway itself" }
`);
  // Every request on one connection: the default --keepalive-requests would end the flood at 1000.
  // A small young generation (V8's flags are process-wide, so the worker's too): RSS then shows
  // what the process keeps, not garbage of the requests answered so far awaiting a scavenge.
  runtime = await startRuntime(['--config', config, '--workers', '1', '--client-send-timeout', String(SEND_TIMEOUT_MS), '--keepalive-requests', '100000000'], {
    env: { NODE_OPTIONS: '--max-semi-space-size=1' },
  });
});

after(async () => {
  await runtime?.stop();
  await app?.close();
});

async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Requests the worker has taken so far (Admin API /status). */
async function requestsSeen(): Promise<number> {
  const response = await fetch(`${runtime!.admin}/status`);
  return ((await response.json()) as { totals: { requests: number } }).totals.requests;
}

/**
 * Resolves once the worker has stopped taking requests for 1 s. The client's own writes need not
 * stall: on loopback the kernel's buffers take the whole flood.
 */
async function untilStalled(): Promise<number> {
  let last = -1;
  for (let still = 0; ; ) {
    await delay(100);
    const seen = await requestsSeen();
    still = seen === last ? still + 1 : 0;
    last = seen;
    if (still >= 10) return seen;
  }
}

test('10 MB of pipelined requests from a client that never reads: RSS grows less than 32 MiB', async (t) => {
  const pid = runtime!.child.pid!;
  // Answers the gateway writes at once, error answers (no route) and plugin answers: nothing else
  // would pause the parser. (A proxied request pauses it until its response is done anyway.)
  const batch = Buffer.from('GET /nowhere HTTP/1.1\r\nHost: sluice.test\r\n\r\n' + 'GET /t/x HTTP/1.1\r\nHost: sluice.test\r\n\r\n');
  // Warm up with as many requests as a client that reads everything sends, so the baseline holds
  // the heap the worker grows to under such a burst: the growth measured is the flood's alone.
  const warm = connect(Number(new URL(runtime!.proxy).port), '127.0.0.1');
  warm.on('data', () => {});
  await once(warm, 'connect');
  const warmFrom = await requestsSeen();
  const WARM_BATCHES = 10_000;
  warm.write(Buffer.concat(Array.from({ length: WARM_BATCHES }, () => batch)));
  while ((await requestsSeen()) - warmFrom < WARM_BATCHES * 2) await delay(100);
  warm.destroy();
  await delay(500);
  const before = await rss(pid);
  const connection = await RawConnection.open(runtime!.proxy);
  t.after(() => connection.destroy());
  connection.socket.pause();
  const flood = Buffer.alloc(10 * 1000 * 1000);
  for (let at = 0; at + batch.length <= flood.length; at += batch.length) batch.copy(flood, at);
  const start = await requestsSeen();
  connection.write(flood);
  const taken = (await untilStalled()) - start;
  const grown = (await rss(pid)) - before;
  const sent = Math.floor(flood.length / batch.length) * 2;
  assert.deepEqual(runtime!.logs.filter((line) => line.msg === 'worker crashed'), []);
  assert.ok(taken > 0 && taken < sent / 2, `the worker took ${taken} of ${sent} requests from a client that reads nothing`);
  assert.ok(grown < 32 * MiB, `RSS grew by ${(grown / MiB).toFixed(1)} MiB`);
});

test(`a client that stops reading a response is closed ${SEND_TIMEOUT_MS} ms after it took its last byte, and the upstream sees the abort`, async (t) => {
  const connection = await RawConnection.open(runtime!.proxy);
  t.after(() => connection.destroy());
  connection.write('GET /p/endless HTTP/1.1\r\nHost: sluice.test\r\n\r\n');
  await connection.waitForBytes(64 * 1024);
  connection.socket.pause();
  // Bounded by the test timeout: without a send timeout this never ends.
  while (stream.closedAt === 0) await delay(50);
  assert.equal(stream.finished, false, 'the upstream response ended normally');
  // The gateway stopped reading the upstream once the client's socket was full, so the upstream's
  // last progress comes after the gateway's last write to the client: a conservative start.
  const elapsed = stream.closedAt - stream.lastProgress;
  assert.ok(elapsed < SEND_TIMEOUT_MS + 1000, `closed ${elapsed.toFixed(0)} ms after the upstream's last progress`);
  // The client connection is closed too: what was queued for it, then the end.
  connection.socket.resume();
  await connection.waitForEnd(10_000);
  // The worker serves on.
  const next = await RawConnection.open(runtime!.proxy);
  t.after(() => next.destroy());
  next.write('GET /p/after HTTP/1.1\r\nHost: sluice.test\r\n\r\n');
  assert.equal((await next.readResponse()).status, 200);
});
