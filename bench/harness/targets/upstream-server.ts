// Its own process, started by the bench (see upstream.ts): the fast upstream every proxy forwards to.
// A bare node:http server answering a small fixed body on each port given, keep-alive on.
// Usage: node bench/harness/targets/upstream-server.ts PORT [PORT...]; prints {"ready":true,...} once listening.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exitWithParent } from '../proc.ts';
import { UPSTREAM_BODY } from './upstream.ts';

const body = Buffer.from(UPSTREAM_BODY);
const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) };

function handle(req: IncomingMessage, res: ServerResponse): void {
  // Drain any request body so keep-alive connections stay usable.
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
}

const ports = process.argv.slice(2).map(Number);
if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p <= 0)) {
  process.stderr.write('usage: upstream-server.ts PORT [PORT...]\n');
  process.exit(2);
}

let listening = 0;
for (const port of ports) {
  const server = createServer({ keepAliveTimeout: 60_000 }, handle);
  server.listen(port, '127.0.0.1', () => {
    listening += 1;
    if (listening === ports.length) process.stdout.write(`${JSON.stringify({ ready: true, ports })}\n`);
  });
}
process.on('SIGTERM', () => process.exit(0));
exitWithParent();
