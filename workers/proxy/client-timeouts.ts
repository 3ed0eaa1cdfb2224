// Client-side timeouts of the proxy listener (worker thread), kept on the worker's timer wheel
// instead of Node's per-socket timers (server keepAliveTimeout / headersTimeout / requestTimeout
// are switched off in worker.ts). As nginx and Kong do:
//   idle    a connection with no request in progress must send a complete request head within
//           `idleMs` (keepalive_timeout and client_header_timeout, both 60 s in Kong);
//   body    a request body that makes no progress for `bodyMs` gets 408 and the connection is
//           closed (client_body_timeout, 60 s in Kong).
// One wheel timer per idle connection and one per request with a body still arriving; both are
// cancelled (and their memory freed) as soon as they are moot, so none outlives its socket.
import type { Socket } from 'node:net';
import type { ClientTimeoutSettings } from '../../runtime/protocol/messages.ts';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import type { RequestContext } from './context.ts';
import { answerError } from './forward.ts';

const kIdle = Symbol('sluice.idle-timer');
const kActive = Symbol('sluice.active-requests');
type TrackedSocket = Socket & { [kIdle]: TimerHandle; [kActive]: number };

export class ClientTimeouts {
  readonly #wheel: TimerWheel;
  readonly #idleMs: number;
  readonly #bodyMs: number;

  constructor(wheel: TimerWheel, options: ClientTimeoutSettings) {
    this.#wheel = wheel;
    this.#idleMs = options.idleMs;
    this.#bodyMs = options.bodyMs;
  }

  /** A new connection: idle until its first request head is complete. */
  connected(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    tracked[kActive] = 0;
    tracked[kIdle] = this.#wheel.schedule('client-idle-timeout', this.#idleMs, closeIdle, tracked);
  }

  closed(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    if (tracked[kIdle] !== 0) this.#wheel.cancel(tracked[kIdle]);
    tracked[kIdle] = 0;
  }

  /** A request head arrived: the connection is busy; a body still to come is watched. */
  requestStarted(ctx: RequestContext): void {
    const tracked = ctx.socket as TrackedSocket;
    // Pipelined requests overlap on one socket: it is idle again only when the last one is done.
    if (tracked[kActive]++ === 0 && tracked[kIdle] !== 0) {
      this.#wheel.cancel(tracked[kIdle]);
      tracked[kIdle] = 0;
    }
    if (ctx.hasBody && !ctx.req.complete) {
      ctx.bodyBytesSeen = tracked.bytesRead;
      ctx.bodyTimer = this.#wheel.schedule('client-body-timeout', this.#bodyMs, this.#checkBody, ctx);
    }
  }

  /** Its response ended or was cut. */
  requestEnded(ctx: RequestContext): void {
    if (ctx.bodyTimer !== 0) {
      this.#wheel.cancel(ctx.bodyTimer);
      ctx.bodyTimer = 0;
    }
    const tracked = ctx.socket as TrackedSocket;
    if (--tracked[kActive] === 0 && !tracked.destroyed) {
      tracked[kIdle] = this.#wheel.schedule('client-idle-timeout', this.#idleMs, closeIdle, tracked);
    }
  }

  /**
   * Body progress is checked when the timer fires, not on every chunk: the body stream belongs
   * to the upstream request (a 'data' listener here would take it over), and the socket's byte
   * count tells whether anything arrived meanwhile.
   */
  readonly #checkBody = (ctx: RequestContext, handle: TimerHandle): void => {
    const req = ctx.req;
    const read = ctx.socket.bytesRead;
    if (!req.complete && read !== ctx.bodyBytesSeen) {
      ctx.bodyBytesSeen = read;
      this.#wheel.reschedule(handle, this.#bodyMs);
      return;
    }
    ctx.bodyTimer = 0;
    if (req.complete) return;
    // Answer first (the 408 leaves with `Connection: close`), then drop the upstream request.
    ctx.res.setHeader('connection', 'close');
    answerError(ctx, 'SLUICE_ERR_CLIENT_TIMEOUT');
    ctx.exchange?.abort();
  };
}

function closeIdle(socket: TrackedSocket): void {
  socket[kIdle] = 0;
  socket.destroy();
}
