// Its own process, started by bench/config-apply.ts. A MEASURING STICK, NOT A GATEWAY: the least a
// Node.js process can do for POST /config, so the bench can say how much of Sluice's round trip
// is the transport itself. On each POST it reads the body, decodes it, JSON.parses it once, clones
// the result once (structuredClone: what handing it to another thread costs at least), and
// answers 201 with a body of the size asked (`?size=N`, the size of Sluice's 201 body), made once
// and kept. No validation, no hashing, no workers.
// Usage: node bench/harness/targets/floor-config.ts --port P   (prints {"ready":true} once listening)
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { exitWithParent } from '../proc.ts';

const { values } = parseArgs({ options: { port: { type: 'string' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: floor-config.ts --port P\n');
  process.exit(2);
}

const answers = new Map<number, Buffer>();

/** A JSON body of `size` bytes: `{"pad":"xxx…"}`. */
function answerOf(size: number): Buffer {
  let body = answers.get(size);
  if (body === undefined) {
    const pad = Math.max(0, size - 10);
    body = Buffer.from(`{"pad":"${'x'.repeat(pad)}"}`);
    answers.set(size, body);
  }
  return body;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      res.writeHead(400).end();
      return;
    }
    structuredClone(parsed);
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size') ?? '0');
    const body = answerOf(Number.isInteger(size) && size > 0 && size < 256 * 1024 * 1024 ? size : 2);
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`));
exitWithParent();
