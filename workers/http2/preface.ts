// h2c with prior knowledge on the plain port (worker thread): a connection whose first bytes are
// the HTTP/2 client preface (RFC 9113 §3.4) speaks HTTP/2; any other speaks HTTP/1.x. The first
// bytes are read, compared with the preface as far as they go (24 bytes at most are held), and
// put back in the socket's read buffer for whichever protocol takes it.
import type { Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Calls `decided(h2)` once the first bytes settle it, with them back in the socket's buffer
 * (the socket paused).
 * A client that ends its side before the first bytes settle it is closed (it sent a piece of
 * the preface and nothing else).
 */
export function sniffPreface(socket: Socket, decided: (h2: boolean) => void): void {
  let seen: Buffer | null = null;
  const onData = (chunk: Buffer): void => {
    const bytes = seen === null ? chunk : Buffer.concat([seen, chunk]);
    const compared = Math.min(bytes.length, PREFACE.length);
    const match = bytes.subarray(0, compared).equals(PREFACE.subarray(0, compared));
    if (match && compared < PREFACE.length) {
      seen = bytes;
      return;
    }
    socket.off('data', onData);
    socket.off('end', onEnd);
    // Paused so the bytes stay buffered: HTTP/1.x resumes once its connection listens; node:http2
    // takes them on its next tick and reads the socket natively from then on.
    socket.pause();
    socket.unshift(bytes);
    decided(match);
  };
  const onEnd = (): void => void socket.destroy();
  socket.on('data', onData);
  socket.once('end', onEnd);
}
