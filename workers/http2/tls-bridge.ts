// A JS stream between a TLS socket and node:http2 (worker thread). The TLS listener sniffs the
// first bytes of each connection (workers/tls/listener.ts: plain HTTP and garbage are refused
// before a handshake) and then puts them back, and node:http2 given such a TLSSocket directly
// never reads from it: the session starts and no frame arrives (reproduced on Node 24.21). Handed
// this Duplex instead, node:http2 reads through JavaScript, as it does for any non-native stream.
// Backpressure holds both ways: a full session pauses the TLS socket; writes complete when the
// TLS socket took them.
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

export function bridgeTls(socket: TLSSocket): Duplex {
  const bridge = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!bridge.push(chunk)) socket.pause();
  });
  socket.once('end', () => bridge.push(null));
  socket.once('close', () => bridge.destroy());
  // The session reports its own errors; the socket's end in a close.
  socket.on('error', () => {});
  return bridge;
}
