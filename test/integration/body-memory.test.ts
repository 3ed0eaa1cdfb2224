// Large request bodies give their memory back as soon as the worker is done with them
// (workers/proxy/body-memory.ts): socket reads once copied or written upstream, a body read whole
// once its response has closed and every upstream write of it has finished. What must hold:
// - the bytes the upstream gets are the client's, to the last byte, however the client splits
//   them and whatever follows them on the connection (a freed buffer another view still reads
//   would send zeros or nothing);
// - a body the upstream has not finished reading when the response ends is still sent as it was;
// - the worker runs (almost) no full collections for them, as it did before: one per one or two
//   5 MB bodies, each a stall of its event loop (counted by the worker: `gc` in GET /workers).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from '../helpers/http.ts';
import { RawConnection } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { mulberry32 as prng } from '../helpers/prng.ts';
const mulberry = prng;

let runtime: Runtime;
let digest: Upstream;
let lateReader: { port: number; close(): void; bodies: Array<Promise<string>> };

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function randomBytes(length: number, seed: number): Buffer {
  const next = prng(seed);
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

/** A JSON object of about `size` bytes whose `list` a test can hash. */
function jsonBody(size: number, seed: number): Buffer {
  const next = prng(seed);
  const list = Array.from({ length: Math.floor(size / 48) }, (_, i) => ({ id: i, v: Math.floor(next() * 1e9) }));
  return Buffer.from(JSON.stringify({ secret: 's', list }));
}

/**
 * An upstream that reads nothing of a body for 300 ms after its head, then reads it to its
 * Content-Length and records its hash, so the worker's writes of it wait that long. It answers
 * 200 as soon as it has the head (the gateway's response then ends long before the body's last
 * bytes leave the worker), or, asked with `x-answer: after-body`, once it has the whole body.
 */
const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

async function startLateReader(): Promise<typeof lateReader> {
  const bodies: Array<Promise<string>> = [];
  const server = createServer((socket: Socket) => {
    socket.pause();
    let buffered = Buffer.alloc(0);
    const body = new Promise<string>((resolve) => {
      let declared = -1;
      const hash = createHash('sha256');
      let got = 0;
      let answerFirst = true;
      const onData = (chunk: Buffer): void => {
        if (declared === -1) {
          buffered = Buffer.concat([buffered, chunk]);
          const end = buffered.indexOf('\r\n\r\n');
          if (end === -1) return;
          const head = buffered.subarray(0, end).toString('latin1');
          declared = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? '0');
          answerFirst = !/^x-answer: *after-body/im.test(head);
          if (answerFirst) socket.write(ANSWER);
          socket.pause();
          setTimeout(() => socket.resume(), 300);
          chunk = buffered.subarray(end + 4);
        }
        hash.update(chunk);
        got += chunk.length;
        if (got < declared) return;
        if (!answerFirst) socket.write(ANSWER);
        // One request per connection (closed once its body is in): the next comes on a new one.
        socket.end();
        resolve(`${got}:${hash.digest('hex')}`);
      };
      socket.on('data', onData);
      socket.on('close', () => resolve(`${got}:closed`));
    });
    bodies.push(body);
    socket.on('error', () => {});
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => server.close(), bodies };
}

before(async () => {
  // Answers with the length and hash of the body it got, and the JSON keys when it is JSON; GET
  // /download?bytes=N&seed=S answers N seeded random bytes.
  digest = await startUpstream((req, res) => {
    const download = /^\/download\?bytes=(\d+)&seed=(\d+)$/.exec(req.url ?? '');
    if (download !== null) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(randomBytes(Number(download[1]), Number(download[2])));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let keys: string[] | null = null;
      let list: string | null = null;
      if (req.headers['content-type'] === 'application/json') {
        const doc = JSON.parse(body.toString()) as Record<string, unknown>;
        keys = Object.keys(doc).sort();
        list = sha(Buffer.from(JSON.stringify(doc['list'])));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ length: body.length, sha: sha(body), keys, list }));
    });
  });
  lateReader = await startLateReader();
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: digest
    url: ${digest.url}
    routes:
      - { name: pass, paths: [/pass] }
      - { name: download, paths: [/download], strip_path: false }
      - name: edit
        paths: [/edit]
        plugins: [{ name: request-transformer, config: { remove: { body: [secret] }, add: { body: ["added:yes"] } } }]
  - name: late
    url: http://127.0.0.1:${lateReader.port}
    routes:
      - { name: late-pass, paths: [/late-pass] }
      - name: late-edit
        paths: [/late-edit]
        plugins: [{ name: request-transformer, config: { add: { body: ["added:yes"] } } }]
`);
  // glibc hands every allocation from 32 KiB up (a socket read's buffer is 64 KiB) back to the kernel when it is freed (not to a pool
  // it reuses later): a body freed while a write still reads it fails that write at once.
  runtime = await startRuntime(['--config', config, '--workers', '1'], { env: { MALLOC_MMAP_THRESHOLD_: String(32 * 1024) } });
});

after(async () => {
  await runtime.stop();
  await digest.close();
  lateReader.close();
});

interface WorkerStatus {
  array_buffers: number;
  gc: { full: number; full_ms: number; minor: number };
}

async function workerStatus(): Promise<WorkerStatus> {
  const reply = await request(`${runtime.admin}/workers`);
  const [entry] = (JSON.parse(reply.body) as { data: Array<{ status: WorkerStatus }> }).data;
  return entry!.status;
}

test('a 4 MB body split at random points, with the next request pipelined behind it, reaches the upstream byte for byte', async () => {
  const next = prng(11);
  const body = Buffer.allocUnsafe(4 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = Math.floor(next() * 256);
  const second = Buffer.from('second request body');
  const connection = await RawConnection.open(runtime.proxy);
  try {
    const wire = Buffer.concat([
      Buffer.from(`POST /pass HTTP/1.1\r\nhost: t\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.length}\r\n\r\n`),
      body,
      Buffer.from(`POST /pass HTTP/1.1\r\nhost: t\r\ncontent-length: ${second.length}\r\n\r\n`),
      second,
    ]);
    // Pieces from 1 byte to 200 KiB, some sent together, some a tick apart.
    for (let at = 0; at < wire.length; ) {
      const size = Math.max(1, Math.floor(next() ** 3 * 200 * 1024));
      connection.write(wire.subarray(at, at + size));
      at += size;
      if (next() < 0.3) await delay(0);
    }
    const first = JSON.parse((await connection.readResponse({ timeoutMs: 15_000 })).body.toString()) as { length: number; sha: string };
    assert.deepEqual(first, { length: body.length, sha: sha(body), keys: null, list: null });
    const after = JSON.parse((await connection.readResponse()).body.toString()) as { length: number; sha: string };
    assert.deepEqual(after, { length: second.length, sha: sha(second), keys: null, list: null });
  } finally {
    connection.destroy();
  }
});

test('a 3 MB chunked body reaches the upstream byte for byte', async () => {
  const body = jsonBody(3 * 1024 * 1024, 5);
  const connection = await RawConnection.open(runtime.proxy);
  try {
    connection.write(`POST /pass HTTP/1.1\r\nhost: t\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n`);
    for (let at = 0; at < body.length; at += 100_000) {
      const piece = body.subarray(at, at + 100_000);
      connection.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    }
    connection.write('0\r\n\r\n');
    const answer = JSON.parse((await connection.readResponse({ timeoutMs: 15_000 })).body.toString()) as { length: number; sha: string };
    assert.equal(answer.length, body.length);
    assert.equal(answer.sha, sha(body));
  } finally {
    connection.destroy();
  }
});

test('12 large JSON bodies edited on the pool thread arrive edited and whole; the worker keeps none of their memory and runs at most 3 full collections', async () => {
  const warm = await request(`${runtime.proxy}/edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonBody(512 * 1024, 1).toString() });
  assert.equal(warm.status, 200);
  const before = await workerStatus();
  let mostHeld = 0;
  for (let i = 0; i < 12; i++) {
    const body = jsonBody(4 * 1024 * 1024, 100 + i);
    const reply = await request(`${runtime.proxy}/edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.toString() });
    assert.equal(reply.status, 200);
    const answer = JSON.parse(reply.body) as { keys: string[]; list: string };
    assert.deepEqual(answer.keys, ['added', 'list']);
    assert.equal(answer.list, sha(Buffer.from(JSON.stringify((JSON.parse(body.toString()) as { list: unknown }).list))));
    mostHeld = Math.max(mostHeld, (await workerStatus()).array_buffers - before.array_buffers);
  }
  // Each body came as ~4 MB of socket reads and went back edited as 4 MB more. Left to the GC,
  // they stayed until a full collection: 8 MB more after every body until V8's first limit, then
  // one full collection per one or two bodies (8 to 15 for these 12).
  assert.ok(mostHeld < 12 * 1024 * 1024, `the worker held up to ${(mostHeld / 1048576).toFixed(1)} MiB of ArrayBuffers between bodies`);
  const full = (await workerStatus()).gc.full - before.gc.full;
  assert.ok(full <= 3, `the worker ran ${full} full collections for 12 bodies of 4 MB`);
});

test('an edited body the upstream reads only after answering is still sent whole, and freed after', async () => {
  const body = jsonBody(15 * 1024 * 1024, 9);
  const before = await workerStatus();
  const count = lateReader.bodies.length;
  const reply = await request(`${runtime.proxy}/late-edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.toString() });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'ok');
  // The response has ended; the upstream has not read the edited body yet (it waits 300 ms). Other
  // bodies now go through the worker, so memory freed too early would be reused and overwritten.
  for (let i = 0; i < 3; i++) {
    const other = Buffer.alloc(body.length, 0x41 + i);
    assert.equal((await request(`${runtime.proxy}/pass`, { method: 'POST', body: other.toString() })).status, 200);
  }
  const received = await lateReader.bodies[count]!;
  const doc = JSON.parse(body.toString()) as Record<string, unknown>;
  doc['added'] = 'yes';
  const edited = Buffer.from(JSON.stringify(doc));
  assert.equal(received, `${edited.length}:${sha(edited)}`);
  // The worker still serves, and does not keep the body.
  const after = await workerStatus();
  assert.ok(after.array_buffers - before.array_buffers < 8 * 1024 * 1024, `held ${after.array_buffers - before.array_buffers} bytes`);
  assert.equal((await request(`${runtime.proxy}/pass`, { method: 'POST', body: 'x' })).status, 200);
});

test('a streamed body the upstream is slow to read reaches it whole: each socket read is freed only once written', async () => {
  const next = mulberry(23);
  const body = Buffer.allocUnsafe(6 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = Math.floor(next() * 256);
  const count = lateReader.bodies.length;
  const connection = await RawConnection.open(runtime.proxy);
  try {
    connection.write(`POST /late-pass HTTP/1.1\r\nhost: t\r\nx-answer: after-body\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.length}\r\n\r\n`);
    for (let at = 0; at < body.length; at += 256 * 1024) connection.write(body.subarray(at, at + 256 * 1024));
    const reply = await connection.readResponse({ timeoutMs: 15_000 });
    assert.equal(reply.status, 200);
    assert.equal(await lateReader.bodies[count]!, `${body.length}:${sha(body)}`);
  } finally {
    connection.destroy();
  }
});

test('an 8 MB response to a client that reads nothing for 300 ms arrives byte for byte: each upstream read is freed only once written', async () => {
  const connection = await RawConnection.open(runtime.proxy);
  try {
    connection.socket.pause();
    connection.write('GET /download?bytes=8388608&seed=31 HTTP/1.1\r\nhost: t\r\n\r\n');
    await delay(300);
    // Other bodies go through the worker meanwhile: memory freed too early would be reused.
    for (let i = 0; i < 2; i++) assert.equal((await request(`${runtime.proxy}/pass`, { method: 'POST', body: 'y'.repeat(2 * 1024 * 1024) })).status, 200);
    connection.socket.resume();
    const reply = await connection.readResponse({ timeoutMs: 15_000 });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.length, 8 * 1024 * 1024);
    assert.equal(sha(reply.body), sha(randomBytes(8 * 1024 * 1024, 31)));
  } finally {
    connection.destroy();
  }
});

test('12 responses of 4 MB: the worker keeps none of their memory and runs at most 3 full collections', async () => {
  const before = await workerStatus();
  let mostHeld = 0;
  for (let i = 0; i < 12; i++) {
    const reply = await request(`${runtime.proxy}/download?bytes=4194304&seed=${40 + i}`);
    assert.equal(reply.status, 200);
    mostHeld = Math.max(mostHeld, (await workerStatus()).array_buffers - before.array_buffers);
  }
  assert.ok(mostHeld < 12 * 1024 * 1024, `the worker held up to ${(mostHeld / 1048576).toFixed(1)} MiB of ArrayBuffers between responses`);
  const full = (await workerStatus()).gc.full - before.gc.full;
  assert.ok(full <= 3, `the worker ran ${full} full collections for 12 responses of 4 MB`);
});
