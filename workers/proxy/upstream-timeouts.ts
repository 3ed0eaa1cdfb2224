// Upstream timeouts of one exchange (worker thread), on the worker's timer wheel, as Kong's
// service fields mean them (nginx proxy_*_timeout):
//   connect_timeout  the connection attempt (dispatchers.ts, one timer per new connection);
//   write_timeout    the longest wait for the upstream to take the next piece of the request body;
//   read_timeout     the longest silence from the upstream once the request is sent: before its
//                    response head and between reads. Stopped while the client's socket is full
//                    (the upstream is then paused by us, not silent).
// undici's own headers/body timers are switched off (forward.ts), so each of these is exactly
// one wheel timer, rescheduled in O(1), cancelled the moment the exchange ends.
import { SluiceError } from '../../runtime/protocol/errors.ts';
import type { Exchange } from './forward.ts';

const READ_TIMEOUT = new SluiceError('SLUICE_ERR_UPSTREAM_TIMEOUT');
const WRITE_TIMEOUT = new SluiceError('SLUICE_ERR_UPSTREAM_TIMEOUT', 'the upstream stopped reading the request body');

export function readTimedOut(exchange: Exchange): void {
  exchange.readTimer = 0;
  exchange.controller?.abort(READ_TIMEOUT);
}

function writeTimedOut(exchange: Exchange): void {
  exchange.writeTimer = 0;
  exchange.controller?.abort(WRITE_TIMEOUT);
}

/**
 * The client's request body as undici's body: an async iterable, so every hand-over is visible.
 * undici asks for the next chunk only once the previous one was written (after a 'drain' if the
 * socket was full), so the time between a yield and the next pull is the upstream's write wait.
 * The client stream is iterated without destroyOnReturn: an upstream failure mid-upload must
 * leave the client connection open for its 502/504.
 */
export async function* requestBody(exchange: Exchange): AsyncGenerator<Buffer> {
  const wheel = exchange.dispatchers.wheel;
  const timeout = exchange.service.write_timeout;
  try {
    for await (const chunk of exchange.ctx.req.body!.iterator({ destroyOnReturn: false })) {
      exchange.writeTimer = wheel.schedule('upstream-write-timeout', timeout, writeTimedOut, exchange);
      yield chunk as Buffer;
      wheel.cancel(exchange.writeTimer);
      exchange.writeTimer = 0;
    }
  } finally {
    if (exchange.writeTimer !== 0) wheel.cancel(exchange.writeTimer);
    exchange.writeTimer = 0;
  }
  // The whole request is on its way: from now on the upstream owes an answer.
  exchange.touchReadTimer();
}
