// An upgraded connection (worker thread): after the upstream's 101 to a WebSocket handshake, the
// client's socket and the upstream's are joined and bytes flow both ways untouched, as nginx's
// ngx_http_upstream_process_upgraded does. Frames are not parsed: the gateway's work (routing,
// authentication, rate limits) was done on the handshake.
//
// Backpressure: a write that leaves a side's output above its high-water mark pauses the other
// side's reads until 'drain', so a peer that never reads holds at most one read's worth of bytes
// beyond the socket's high-water mark in this worker.
// Idle timeout: one wheel timer per tunnel, checked when it fires (not moved on every chunk): if
// no byte moved either way (read, or taken by a peer) for `idleMs`, both sides are closed. A
// never-reading peer stalls the tunnel and so ends it after `idleMs`.
// Closing: one side's FIN is passed on as a FIN (half-close, as a WebSocket close handshake
// needs); once one side has closed the other is ended (flushed), and destroyed when its last
// byte is out or the idle timer finds no progress. An error on either side destroys both.
import type { Socket } from 'node:net';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';

/** This worker's tunnels, read by its metrics (workers/metrics/worker.ts). */
export class TunnelStats {
  /** Handshakes the upstream accepted (101 relayed). */
  opened = 0;
  /** Tunnels open now. */
  active = 0;
  /** Tunnels closed by the idle timeout. */
  idleClosed = 0;
  /** Bytes relayed after the 101, client → upstream and upstream → client. */
  bytesFromClient = 0;
  bytesFromUpstream = 0;
}

export class Tunnel {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly #wheel: TimerWheel;
  readonly #idleMs: number;
  readonly #stats: TunnelStats;
  readonly #onEnded: () => void;
  #timer: TimerHandle = 0;
  /** Bytes moved so far, as seen by the last idle check. */
  #progress = 0;
  #clientClosed = false;
  #upstreamClosed = false;
  #ended = false;

  /**
   * `clientHead`: bytes the client sent after its handshake; `upstreamHead`: bytes the upstream
   * sent after its 101 (either may be empty). `onEnded` runs once, when both sockets are gone.
   */
  constructor(client: Socket, upstream: Socket, wheel: TimerWheel, idleMs: number, stats: TunnelStats, onEnded: () => void) {
    this.client = client;
    this.upstream = upstream;
    this.#wheel = wheel;
    this.#idleMs = idleMs;
    this.#stats = stats;
    this.#onEnded = onEnded;
  }

  start(clientHead: Buffer, upstreamHead: Buffer): void {
    const { client, upstream } = this;
    const stats = this.#stats;
    stats.opened++;
    stats.active++;
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    if (upstreamHead.length > 0) this.#relay(upstreamHead, client, upstream, false);
    if (clientHead.length > 0) this.#relay(clientHead, upstream, client, true);
    client.on('data', (chunk: Buffer) => this.#relay(chunk, upstream, client, true));
    upstream.on('data', (chunk: Buffer) => this.#relay(chunk, client, upstream, false));
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => this.#destroy());
    upstream.on('error', () => this.#destroy());
    client.on('close', () => this.#closed(true));
    upstream.on('close', () => this.#closed(false));
    this.#progress = this.#moved();
    this.#timer = this.#wheel.schedule('websocket-idle-timeout', this.#idleMs, checkIdle, this);
    // A FIN that arrived while the handshake waited for its 101 was not seen by these listeners.
    if (client.readableEnded) upstream.end();
    if (client.destroyed) return this.#closed(true);
    if (upstream.destroyed) return this.#closed(false);
    client.resume();
    upstream.resume();
  }

  #relay(chunk: Buffer, to: Socket, from: Socket, fromClient: boolean): void {
    if (fromClient) this.#stats.bytesFromClient += chunk.length;
    else this.#stats.bytesFromUpstream += chunk.length;
    if (to.destroyed || to.writableEnded) return;
    if (!to.write(chunk)) from.pause();
  }

  /** Bytes read from either side plus bytes either side's peer has taken. */
  #moved(): number {
    const { client, upstream } = this;
    return client.bytesRead + upstream.bytesRead + (client.bytesWritten - client.writableLength) + (upstream.bytesWritten - upstream.writableLength);
  }

  /** The idle timer fired: closes the tunnel unless bytes moved since the last check. */
  idleCheck(): void {
    this.#timer = 0;
    if (this.#ended) return;
    const moved = this.#moved();
    if (moved !== this.#progress) {
      this.#progress = moved;
      this.#timer = this.#wheel.schedule('websocket-idle-timeout', this.#idleMs, checkIdle, this);
      return;
    }
    this.#stats.idleClosed++;
    this.#destroy();
  }

  #closed(clientSide: boolean): void {
    if (clientSide) this.#clientClosed = true;
    else this.#upstreamClosed = true;
    if (this.#clientClosed && this.#upstreamClosed) return this.#end();
    // The other side gets what is queued for it, then its FIN; it is destroyed once that is out.
    const other = clientSide ? this.upstream : this.client;
    if (other.destroyed) return;
    if (other.writableLength === 0) return void other.destroy();
    other.end();
    other.once('finish', () => other.destroy());
  }

  #destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== 0) this.#wheel.cancel(this.#timer);
    this.#timer = 0;
    this.#stats.active--;
    this.#onEnded();
  }
}

function checkIdle(tunnel: Tunnel): void {
  tunnel.idleCheck();
}
