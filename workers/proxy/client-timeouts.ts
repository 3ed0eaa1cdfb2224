// Client-side timeouts of the proxy listener (worker thread), kept on the worker's timer wheel
// instead of Node's per-socket timers (server keepAliveTimeout / headersTimeout / requestTimeout
// are switched off in worker.ts). As nginx and Kong do:
//   idle    a connection with no request in progress must send a complete request head within
//           `idleMs` (keepalive_timeout and client_header_timeout, both 60 s in Kong);
//   body    a request body that makes no progress for `bodyMs` gets 408 and the connection is
//           closed (client_body_timeout, 60 s in Kong);
//   send    a client whose unsent output stays above the socket's high-water mark and takes none
//           of it for `sendMs` is closed (send_timeout, 60 s in Kong); closing it aborts the
//           upstream request of its response and so releases that upstream connection.
// One wheel timer per idle connection, one per request with a body still arriving and one per
// connection whose output is blocked; each is cancelled (and its memory freed) as soon as it is
// moot, so none outlives its socket.
import type { Socket } from 'node:net';
import type { ClientTimeoutSettings } from '../../runtime/protocol/messages.ts';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import type { RequestContext } from './context.ts';
import { answerError } from './errors.ts';

const kIdle = Symbol('sluice.idle-timer');
/**
 * Set on a socket whose protocol has its own way to close an idle connection (HTTP/2: GOAWAY
 * first, so a client never sends a request into a connection being torn down).
 */
export const kCloseIdle = Symbol('sluice.close-idle');
const kActive = Symbol('sluice.active-requests');
const kSend = Symbol('sluice.send-timer');
const kUnsent = Symbol('sluice.unsent-bytes');
type TrackedSocket = Socket & { [kIdle]: TimerHandle; [kActive]: number; [kSend]: TimerHandle; [kUnsent]: number };

export class ClientTimeouts {
  readonly #wheel: TimerWheel;
  readonly #idleMs: number;
  readonly #bodyMs: number;
  readonly #sendMs: number;

  constructor(wheel: TimerWheel, options: ClientTimeoutSettings) {
    this.#wheel = wheel;
    this.#idleMs = options.idleMs;
    this.#bodyMs = options.bodyMs;
    this.#sendMs = options.sendMs;
  }

  /** A new connection: idle until its first request head is complete. */
  connected(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    tracked[kActive] = 0;
    tracked[kSend] = 0;
    tracked[kUnsent] = 0;
    tracked[kIdle] = this.#wheel.schedule('client-idle-timeout', this.#idleMs, closeIdle, tracked);
  }

  closed(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    if (tracked[kIdle] !== 0) this.#wheel.cancel(tracked[kIdle]);
    tracked[kIdle] = 0;
    if (tracked[kSend] !== 0) this.#wheel.cancel(tracked[kSend]);
    tracked[kSend] = 0;
  }

  /** The socket's output passed its high-water mark: the client has `sendMs` to take some of it. */
  blocked(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    if (tracked[kSend] !== 0 || tracked.destroyed) return;
    tracked[kUnsent] = tracked.writableLength;
    tracked[kSend] = this.#wheel.schedule('client-send-timeout', this.#sendMs, this.#checkSend, tracked);
  }

  /** The output went back under its high-water mark. */
  drained(socket: Socket): void {
    const tracked = socket as TrackedSocket;
    if (tracked[kSend] === 0) return;
    this.#wheel.cancel(tracked[kSend]);
    tracked[kSend] = 0;
  }

  /** A request head arrived: the connection is busy; a body still to come is watched. */
  requestStarted(ctx: RequestContext): void {
    const tracked = ctx.socket as TrackedSocket;
    // Pipelined requests overlap on one socket: it is idle again only when the last one is done.
    // The idle timer is left where it is: firing on a busy connection does nothing (closeIdle),
    // and requestEnded moves it: one wheel operation per request, not a cancel and a schedule.
    tracked[kActive]++;
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
      if (tracked[kIdle] === 0 || !this.#wheel.reschedule(tracked[kIdle], this.#idleMs)) {
        tracked[kIdle] = this.#wheel.schedule('client-idle-timeout', this.#idleMs, closeIdle, tracked);
      }
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

  /**
   * Progress is what the client took since the last check: every completed write lowers
   * writableLength (a proxied body is written chunk by chunk, and nothing new is written to a
   * blocked socket), so a client reading slowly keeps its connection, one reading nothing loses it.
   */
  readonly #checkSend = (socket: TrackedSocket, handle: TimerHandle): void => {
    const unsent = socket.writableLength;
    if (!socket.destroyed && unsent !== 0 && unsent < socket[kUnsent]) {
      socket[kUnsent] = unsent;
      this.#wheel.reschedule(handle, this.#sendMs);
      return;
    }
    socket[kSend] = 0;
    if (unsent !== 0) socket.destroy();
  };
}

function closeIdle(socket: TrackedSocket & { [kCloseIdle]?: () => void }): void {
  socket[kIdle] = 0;
  // A request is in progress: not idle (requestEnded arms the timer again).
  if (socket[kActive] > 0) return;
  const close = socket[kCloseIdle];
  if (close !== undefined) close();
  else socket.destroy();
}
