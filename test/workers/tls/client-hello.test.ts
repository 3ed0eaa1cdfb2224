// The server name read from a ClientHello's first bytes (workers/tls/client-hello.ts): real hellos
// from node:tls clients (TLS 1.2 and 1.3, with and without a server name) give their name or
// null; any hello cut short, split or malformed gives undefined (the listener then leaves the
// choice to OpenSSL through the SNICallback), never a wrong name and never a throw.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { clientHelloServerName } from '../../../workers/tls/client-hello.ts';

/** The first bytes a node:tls client sends (its ClientHello), caught by a plain TCP server. */
async function helloOf(options: { servername?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const caught = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket) => {
      let bytes = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        bytes = Buffer.concat([bytes, chunk]);
        // The whole first record: its header says how long it is.
        if (bytes.length >= 5 && bytes.length >= 5 + bytes.readUInt16BE(3)) {
          socket.destroy();
          resolve(bytes);
        }
      });
    });
  });
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, rejectUnauthorized: false, ...options });
  client.on('error', () => {});
  const hello = await caught;
  client.destroy();
  server.close();
  return hello;
}

/** Offset of the server_name extension's host name in `hello` (found by its bytes). */
function nameOffset(hello: Buffer, name: string): number {
  const at = hello.indexOf(Buffer.from(name, 'latin1'));
  assert.ok(at > 0, 'the name is in the hello');
  return at;
}

test('real ClientHellos give their server name, or null without one (TLS 1.2 and 1.3)', async () => {
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    assert.equal(clientHelloServerName(await helloOf({ servername: 'api.example.com', maxVersion })), 'api.example.com');
    // The name as sent, not lower-cased (the SNI table lower-cases when it selects).
    assert.equal(clientHelloServerName(await helloOf({ servername: 'API.Example.COM', maxVersion })), 'API.Example.COM');
    // An IP literal host: node sends no server_name.
    assert.equal(clientHelloServerName(await helloOf({ maxVersion })), null);
  }
});

test('a hello cut anywhere, or followed by more bytes, never gives a wrong name', async () => {
  const hello = await helloOf({ servername: 'www.example.com' });
  for (let length = 0; length < hello.length; length++) assert.equal(clientHelloServerName(hello.subarray(0, length)), undefined, `cut at ${length}`);
  // Bytes after the first record (a client that sends early data, or a second record) are not read.
  assert.equal(clientHelloServerName(Buffer.concat([hello, Buffer.from([0x17, 3, 3, 0, 1, 0])])), 'www.example.com');
});

test('a hello split over two records, or with lengths that do not add up, gives undefined', async () => {
  const hello = await helloOf({ servername: 'www.example.com' });
  const body = hello.subarray(5);
  const half = body.length >> 1;
  const header = (length: number): Buffer => Buffer.from([0x16, 3, 1, length >> 8, length & 0xff]);
  // The handshake message spans two records: the first record alone does not hold it.
  assert.equal(clientHelloServerName(Buffer.concat([header(half), body.subarray(0, half), header(body.length - half), body.subarray(half)])), undefined);
  // A record length past the bytes, a handshake length past the record.
  const longRecord = Buffer.from(hello);
  longRecord.writeUInt16BE(hello.length, 3);
  assert.equal(clientHelloServerName(longRecord), undefined);
  const longHello = Buffer.from(hello);
  longHello[6] = 0xff;
  assert.equal(clientHelloServerName(longHello), undefined);
  // The host name's own length past its list, or zero.
  const at = nameOffset(hello, 'www.example.com');
  const longName = Buffer.from(hello);
  longName.writeUInt16BE(0xffff, at - 2);
  assert.equal(clientHelloServerName(longName), undefined);
  const emptyName = Buffer.from(hello);
  emptyName.writeUInt16BE(0, at - 2);
  assert.equal(clientHelloServerName(emptyName), undefined);
  // A name type other than host_name, a NUL or a space inside the name: OpenSSL's to judge.
  const otherType = Buffer.from(hello);
  otherType[at - 3] = 1;
  assert.equal(clientHelloServerName(otherType), undefined);
  for (const byte of [0x00, 0x20, 0x80]) {
    const odd = Buffer.from(hello);
    odd[at + 3] = byte;
    assert.equal(clientHelloServerName(odd), undefined, `byte ${byte}`);
  }
});

test('not a ClientHello at all: plain HTTP, another record type, another handshake message, garbage', () => {
  assert.equal(clientHelloServerName(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')), undefined);
  assert.equal(clientHelloServerName(Buffer.from([0x17, 3, 3, 0, 4, 1, 0, 0, 0])), undefined);
  assert.equal(clientHelloServerName(Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])), undefined);
  // Deterministic noise behind a valid-looking header never throws.
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    const length = 9 + (i % 300);
    const bytes = Buffer.alloc(length);
    for (let j = 0; j < length; j++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[j] = seed & 0xff;
    }
    bytes[0] = 0x16;
    bytes[5] = 0x01;
    bytes.writeUInt16BE(length - 5, 3);
    const name = clientHelloServerName(bytes);
    assert.ok(name === undefined || name === null || /^[\x21-\x7e]+$/.test(name));
  }
});
