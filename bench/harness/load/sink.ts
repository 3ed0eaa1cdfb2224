// Its own process, started by the churn scenario (harness/scenarios/churn.ts): the bytes of a
// config change without the gateway. An HTTP server that reads each request body whole (as the
// Admin API does) and answers 201 with `answerBytes` bytes held in memory (the size of Sluice's
// POST /config answer), so a client posting the same bodies on the same schedule moves the same
// bytes through loopback as the churn does, and nothing else happens on the server.
// Usage: node sink.ts '{"answerBytes":N}'; prints {"ready":true,"port":P} once listening.
import { createServer } from 'node:http';
import { exitWithParent } from '../proc.ts';

exitWithParent();
const { answerBytes } = JSON.parse(process.argv[2] ?? '{}') as { answerBytes?: number };
// JSON-shaped filler, allocated once: the answer costs the server a write, never a build.
const answer = Buffer.alloc(Math.max(2, answerBytes ?? 2), 0x20);
answer[0] = 0x7b;
answer[answer.length - 1] = 0x7d;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ ready: true, port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
