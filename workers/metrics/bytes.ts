// Runs on a worker thread: the bytes one request moved, as Kong counts them (request.size is the
// whole request — line, headers, body; response.size is every byte sent — head and body).
//
// The socket already counts both directions (bytesRead, bytesWritten); a request's share is the
// growth since the previous request on the same keep-alive connection ended. The mark lives on
// the socket under a symbol. This must run at the close of every response on the proxy port (not
// only those a `prometheus` plugin sees), or the next request on the connection would be charged
// for this one. Cost: two counter reads and two stores per request.
//
// Limits: bytes a client pipelines for its next request before this response closes are charged
// to this one; a request body the gateway never read (an early 401) is counted only as far as it
// arrived.
import type { Socket } from 'node:net';
import type { RequestContext } from '../proxy/context.ts';

const kRead = Symbol('sluice.bytesReadMark');
const kWritten = Symbol('sluice.bytesWrittenMark');

type MarkedSocket = Socket & { [kRead]?: number; [kWritten]?: number };

/** Sets ctx.bytesIn / ctx.bytesOut from the socket's counters. Call once, at response close. */
export function countBytes(ctx: RequestContext): void {
  const socket = ctx.socket as MarkedSocket;
  const read = socket.bytesRead;
  const written = socket.bytesWritten;
  ctx.bytesIn = read - (socket[kRead] ?? 0);
  ctx.bytesOut = written - (socket[kWritten] ?? 0);
  socket[kRead] = read;
  socket[kWritten] = written;
}
