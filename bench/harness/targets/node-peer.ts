// Its own process, started by the bench (see targets.ts): the Node peer proxy Sluice is compared to.
// The idiomatic Node reverse proxy: Fastify + @fastify/reply-from over an undici keep-alive pool,
// no logging, no plugins. With --workers N > 1 it forks N node:cluster workers sharing the port
// (the usual way to use several cores with Node); with 1 it serves from this single process.
// Usage: node bench/harness/targets/node-peer.ts --port P --upstream http://127.0.0.1:U [--workers N]
// Prints {"ready":true,...} once every worker listens.
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import replyFrom from '@fastify/reply-from';
import { exitWithParent } from '../proc.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    upstream: { type: 'string' },
    workers: { type: 'string', default: '1' },
  },
});
const port = Number(values.port);
const workers = Number(values.workers);
const upstream = values.upstream;
if (!Number.isInteger(port) || port <= 0 || upstream === undefined || !Number.isInteger(workers) || workers < 1) {
  process.stderr.write('usage: node-peer.ts --port P --upstream URL [--workers N]\n');
  process.exit(2);
}

async function serve(): Promise<void> {
  const app = Fastify({ logger: false });
  await app.register(replyFrom, {
    base: upstream,
    // reply-from's defaults, spelled out: an undici Pool with keep-alive to the upstream.
    undici: { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 },
  });
  // Stream request bodies through untouched instead of parsing them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.all('/*', (request, reply) => {
    reply.from(request.url);
  });
  await app.listen({ host: '127.0.0.1', port });
}

function ready(): void {
  process.stdout.write(`${JSON.stringify({ ready: true, port, workers })}\n`);
}

if (workers === 1) {
  await serve();
  ready();
  process.on('SIGTERM', () => process.exit(0));
  exitWithParent();
} else if (cluster.isPrimary) {
  let listening = 0;
  let stopping = false;
  cluster.on('listening', () => {
    listening += 1;
    if (listening === workers) ready();
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) process.stderr.write(`node-peer worker ${worker.process.pid} died (${code ?? signal})\n`);
  });
  const shutdown = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  exitWithParent(shutdown);
  for (let i = 0; i < workers; i += 1) cluster.fork();
} else {
  // A cluster worker exits on its own when the primary's IPC channel closes.
  await serve();
}
