// A real HTTP log server on 127.0.0.1 for http-log's tests: records every request it gets and
// answers with the status `answer` picks (200 unless told otherwise).
import type { IncomingHttpHeaders } from 'node:http';
import { startUpstream, type Upstream } from '../../../helpers/upstream.ts';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when it arrived. */
  at: number;
}

export interface LogReceiver extends Upstream {
  received: Received[];
  /** Status for the n-th request (0-based); default 200. */
  answer: (n: number) => number;
}

export async function startReceiver(): Promise<LogReceiver> {
  const received: Received[] = [];
  const receiver = { received, answer: (_n: number) => 200 } as LogReceiver;
  const upstream = await startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const n = received.length;
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), at: performance.now() });
      const status = receiver.answer(n);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'log server failure');
    });
  });
  return Object.assign(receiver, upstream);
}
