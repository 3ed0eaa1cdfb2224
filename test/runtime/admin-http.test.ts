// The Admin API's body reader (runtime/admin/http.ts readBody): a body with a Content-Length is read
// into one buffer of that size (in shared memory when asked, for the config thread), a chunked one
// joined, and either refused past the limit. Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BodyTooLarge, readBody } from '../../runtime/admin/http.ts';

type Outcome = { body: Buffer } | { error: unknown };

/** Sends `parts` (with a Content-Length unless `chunked`) to a server that reads the body with `read`. */
async function roundTrip(parts: Buffer[], chunked: boolean, read: (req: IncomingMessage) => Promise<Buffer>): Promise<Outcome> {
  let outcome: Outcome | null = null;
  const server = createServer((req, res) => {
    read(req).then(
      (body) => (outcome = { body }),
      (error: unknown) => (outcome = { error }),
    ).finally(() => res.end('done'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const length = parts.reduce((n, p) => n + p.length, 0);
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': length } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      // The server may answer before reading all of a refused body: a reset is expected then.
      req.on('error', (err) => (outcome === null ? reject(err) : resolve()));
      for (const p of parts) req.write(p);
      req.end();
    });
  } finally {
    server.close();
  }
  assert.ok(outcome !== null);
  return outcome;
}

/** A body in several writes, larger than one socket read. */
const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(40_000, 0x61 + i));
const whole = Buffer.concat(parts);

test('a body with a Content-Length comes back whole in one buffer of its own; shared memory when asked', async () => {
  const own = await roundTrip(parts, false, (req) => readBody(req, 1 << 20));
  assert.ok('body' in own);
  assert.ok(own.body.equals(whole));
  assert.equal(own.body.byteOffset, 0);
  assert.equal(own.body.buffer.byteLength, whole.length, 'not a slice of a larger pool');
  assert.ok(!(own.body.buffer instanceof SharedArrayBuffer));
  const shared = await roundTrip(parts, false, (req) => readBody(req, 1 << 20, true));
  assert.ok('body' in shared);
  assert.ok(shared.body.equals(whole));
  assert.ok(shared.body.buffer instanceof SharedArrayBuffer, 'the config thread reads it without a copy');
});

test('a chunked body (no Content-Length) is joined; shared is only for a declared length', async () => {
  const chunked = await roundTrip(parts, true, (req) => readBody(req, 1 << 20, true));
  assert.ok('body' in chunked);
  assert.ok(chunked.body.equals(whole));
});

test('a body past the limit is refused with BodyTooLarge, declared or chunked', async () => {
  for (const isChunked of [false, true]) {
    const outcome = await roundTrip(parts, isChunked, (req) => readBody(req, whole.length - 1));
    assert.ok('error' in outcome, `chunked=${isChunked}`);
    assert.ok(outcome.error instanceof BodyTooLarge, `chunked=${isChunked}: ${String(outcome.error)}`);
  }
  const exact = await roundTrip(parts, false, (req) => readBody(req, whole.length));
  assert.ok('body' in exact && exact.body.length === whole.length);
});
