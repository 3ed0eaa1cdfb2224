// Upstream timeouts and the request body pump of one exchange (worker thread), on the worker's
// timer wheel, as Kong's service fields mean them (nginx proxy_*_timeout):
//   connect_timeout  the connection attempt and TLS handshake (workers/upstream/pool.ts);
//   write_timeout    the longest wait for the upstream to take the next piece of the request body;
//   read_timeout     the longest silence from the upstream once the request is sent: before its
//                    response head and between reads. Stopped while the client's socket is full
//                    (the upstream is then paused by us, not silent).
// Each is one wheel timer per exchange, rescheduled in O(1), cancelled the moment it ends.
import type { Readable } from 'node:stream';
import { releaseAfterWrite } from './body-memory.ts';
import type { Exchange } from './forward.ts';

const kExchange = Symbol('sluice.exchange');
type PumpedBody = Readable & { [kExchange]?: Exchange | null };

export function readTimedOut(exchange: Exchange): void {
  exchange.readTimer = 0;
  exchange.timedOut();
}

export function writeTimedOut(exchange: Exchange): void {
  exchange.writeTimer = 0;
  exchange.timedOut();
}

/**
 * Streams the client's request body to the exchange's connection: a full upstream socket pauses
 * the client body (and so the client socket) until the connection drains, and the write timeout
 * runs while it is full. Listeners are module functions; the exchange rides on the stream.
 */
export function startBody(exchange: Exchange): void {
  const buffered = exchange.ctx.bufferedBody;
  if (buffered !== null) {
    // A body a plugin read whole (ctx.readBody): written at once, and replayable on a retry.
    const conn = exchange.conn;
    if (conn !== null) {
      if (buffered.length > 0) {
        // The body's memory stays until this write is done with it, even if the request ends first.
        const ctx = exchange.ctx;
        ctx.holdBody();
        conn.write(buffered, () => ctx.dropBody());
      }
      conn.endRequest();
    }
    exchange.touchReadTimer();
    return;
  }
  const body = exchange.ctx.req.body as PumpedBody | null;
  if (body === null || exchange.bodyStarted) return;
  exchange.bodyStarted = true;
  body[kExchange] = exchange;
  body.on('data', onBodyData);
  body.on('end', onBodyEnd);
  if (body.readableEnded) onBodyEnd.call(body);
  else body.resume();
}

/** Detaches the pump (the exchange ended or failed); the listener drops what is left. */
export function stopBody(exchange: Exchange): void {
  const body = exchange.ctx.req.body as PumpedBody | null;
  if (body === null || body[kExchange] !== exchange) return;
  body[kExchange] = null;
  body.off('data', onBodyData);
  body.off('end', onBodyEnd);
}

function onBodyData(this: PumpedBody, chunk: Buffer): void {
  const exchange = this[kExchange];
  const conn = exchange?.conn;
  if (exchange === undefined || exchange === null || conn === null || conn === undefined) return;
  // A chunk of the client's own socket read is freed once written (body-memory.ts).
  if (conn.write(chunk, exchange.ctx.req.ownsBodyChunks ? releaseAfterWrite(chunk) : undefined)) return;
  this.pause();
  const wheel = exchange.targets.wheel;
  if (exchange.writeTimer === 0 || !wheel.reschedule(exchange.writeTimer, exchange.service.write_timeout)) {
    exchange.writeTimer = wheel.schedule('upstream-write-timeout', exchange.service.write_timeout, writeTimedOut, exchange);
  }
}

function onBodyEnd(this: PumpedBody): void {
  const exchange = this[kExchange];
  if (exchange === undefined || exchange === null) return;
  stopBody(exchange);
  exchange.conn?.endRequest();
  // The whole request is on its way: from now on the upstream owes an answer.
  exchange.touchReadTimer();
}
