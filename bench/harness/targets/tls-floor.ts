// Its own process, started by bench/tls.ts. A MEASURING STICK, NOT A SERVER: a bare node:tls
// server with the bench's certificate that answers every request head with the same small 200
// response the proxied upstream gives, itself, with no HTTP parsing beyond finding the end of a
// head. It shows what one Node.js thread pays for TLS (handshakes, records, the TLSSocket) on this
// machine before any proxy work, so the bench can tell Node's own TLS cost from Sluice's.
// What it does, and all it does:
// - tls.createServer with the certificate and key given, TLS 1.2/1.3, node's defaults otherwise
//   (session tickets on, as in Sluice and nginx);
// - counts the request heads in each chunk (\r\n\r\n) and writes one response per head, in one
//   write; a head that says `Connection: close`, or HTTP/1.0, ends the connection after its answer.
// No request bodies, no pipelining rules, no timeouts. Never for real traffic.
// Usage: node bench/harness/targets/tls-floor.ts --port P --cert FILE --key FILE
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import { parseArgs } from 'node:util';
import { HOST } from '../net.ts';
import { exitWithParent } from '../proc.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || values.cert === undefined || values.key === undefined) {
  process.stderr.write('usage: tls-floor.ts --port P --cert FILE --key FILE\n');
  process.exit(2);
}

const BODY = 'ok\n';
const KEEP = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${BODY.length}\r\nconnection: keep-alive\r\n\r\n${BODY}`;
const CLOSE = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${BODY.length}\r\nconnection: close\r\n\r\n${BODY}`;
const CONNECTION_CLOSE = /\r\nconnection:[^\r\n]*\bclose\b/i;

const server = createServer({ cert: readFileSync(values.cert), key: readFileSync(values.key), minVersion: 'TLSv1.2' }, (socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let answer = '';
    let end = pending.indexOf('\r\n\r\n');
    while (end !== -1) {
      const head = pending.slice(0, end + 2);
      pending = pending.slice(end + 4);
      if (CONNECTION_CLOSE.test(head) || / HTTP\/1\.0\r\n/.test(head)) {
        socket.end(answer + CLOSE, 'latin1');
        return;
      }
      answer += KEEP;
      end = pending.indexOf('\r\n\r\n');
    }
    if (answer !== '') socket.write(answer, 'latin1');
  });
});
server.listen(port, HOST, () => process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`));
exitWithParent();
