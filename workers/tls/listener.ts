// The TLS listener of a worker thread: a net.Server on the TLS port (reusePort, like the plain
// one) whose sockets are wrapped in a server-side TLSSocket here, so the handshake runs under this
// worker's own rules rather than tls.Server's per-socket timers:
//   - the first bytes decide: a TLS record (0x16) starts the handshake; a plain HTTP request gets
//     nginx's answer (400, "The plain HTTP request was sent to HTTPS port") and is closed; anything
//     else is closed unanswered;
//   - a handshake must finish within `handshakeTimeoutMs`, on the worker's timer wheel;
//   - the certificate is chosen by SNI from the current SniTable, swapped in whole on a config
//     change (no listener restart; a handshake under way keeps the table it started with), else
//     the default certificate;
//   - TLS 1.2 and 1.3; session tickets under keys every worker derives for the same period
//     (ticket-keys.ts), switched at each period boundary on the wheel.
// A socket whose handshake is done goes to `secure` (workers/worker.ts), which hands it to the
// HTTP/1.1 connection code, or to HTTP/2 when ALPN chose `h2` (`alpn`, set by the worker).
import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { PemPair, TlsListenerSettings } from '../../runtime/protocol/tls-settings.ts';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import { EMPTY_SNI_TABLE, type SniTable } from './sni-table.ts';
import { ticketKeys, ticketPeriod, untilNextPeriod } from './ticket-keys.ts';

/** The first byte of a TLS handshake record (RFC 8446 §5.1, ContentType.handshake). */
const TLS_HANDSHAKE = 0x16;
const PLAIN_HTTP_ON_TLS_BODY = 'The plain HTTP request was sent to HTTPS port\n';
const PLAIN_HTTP_ON_TLS = `HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${PLAIN_HTTP_ON_TLS_BODY.length}\r\n\r\n${PLAIN_HTTP_ON_TLS_BODY}`;

/** Counters of this worker's TLS listener (GET /workers, /metrics). */
export interface TlsStats {
  /** Handshakes completed, and how many of them resumed a session. */
  handshakes: number;
  resumed: number;
  /** Handshakes that failed (bad ClientHello, no shared version or cipher, client alert...). */
  failed: number;
  /** Handshakes cut by the handshake timeout. */
  timedOut: number;
  /** Connections that sent plain HTTP (answered 400) or other non-TLS bytes (closed). */
  notTls: number;
  /** Handshakes under way now. */
  pending: number;
}

/** TLS options every context of the listener shares. */
export function secureContext(pair: PemPair | { cert: string[]; key: string[] }, ticketKeyBlock?: Buffer, sessionTimeoutS?: number): SecureContext {
  return createSecureContext({
    cert: pair.cert,
    key: pair.key,
    minVersion: 'TLSv1.2',
    ...(ticketKeyBlock === undefined ? {} : { ticketKeys: ticketKeyBlock }),
    ...(sessionTimeoutS === undefined ? {} : { sessionTimeout: sessionTimeoutS }),
  });
}

const kTimer = Symbol('sluice.tls-handshake-timer');
const kTls = Symbol('sluice.tls-socket');
/** An accepted socket; once its first bytes were TLS, the TLSSocket that took it over. */
type RawSocket = Socket & { [kTimer]: TimerHandle; [kTls]: TLSSocket | null };

export class TlsListener {
  readonly net: Server;
  readonly stats: TlsStats = { handshakes: 0, resumed: 0, failed: 0, timedOut: 0, notTls: 0, pending: 0 };
  /** ALPN protocols offered, in preference order (RFC 7301). An `h2` hand-off would add itself here and in `secure`. */
  alpn: string[] = ['http/1.1'];
  readonly #settings: TlsListenerSettings;
  readonly #wheel: TimerWheel;
  readonly #secure: (socket: TLSSocket) => void;
  /** Sockets accepted and not secured yet (closed by shutdown). */
  readonly #pending = new Set<RawSocket>();
  #table: SniTable = EMPTY_SNI_TABLE;
  /**
   * The default certificate's context, rebuilt each ticket period with that period's key:
   * OpenSSL seals and opens tickets with the keys of the context a handshake starts on (this one),
   * whatever context SNI switches to, so only this one needs the shared key.
   */
  #defaultContext: SecureContext;
  #rotation: TimerHandle = 0;

  constructor(settings: TlsListenerSettings, wheel: TimerWheel, secure: (socket: TLSSocket) => void) {
    this.#settings = settings;
    this.#wheel = wheel;
    this.#secure = secure;
    this.#defaultContext = this.#contextForNow();
    this.net = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket as RawSocket));
  }

  /** The table new handshakes select certificates from; handshakes under way keep theirs. */
  set table(table: SniTable) {
    this.#table = table;
  }

  get table(): SniTable {
    return this.#table;
  }

  listen(options: ListenOptions, ready: () => void): void {
    this.net.listen(options, ready);
    this.#scheduleRotation();
  }

  /** Stops accepting; handshakes under way finish (or time out), secured connections are the HTTP side's. */
  close(): void {
    if (this.net.listening) this.net.close();
    if (this.#rotation !== 0) this.#wheel.cancel(this.#rotation);
    this.#rotation = 0;
  }

  /** Ends every handshake under way (shutdown). */
  closeHandshakes(): void {
    for (const raw of this.#pending) (raw[kTls] ?? raw).destroy();
  }

  #contextForNow(): SecureContext {
    const { ticketSecret, ticketRotationMs, defaultCert } = this.#settings;
    return secureContext(defaultCert, ticketKeys(ticketSecret, ticketPeriod(Date.now(), ticketRotationMs)), Math.ceil(ticketRotationMs / 1000));
  }

  #scheduleRotation(): void {
    // The wheel never fires early, so the new period has begun when this runs.
    this.#rotation = this.#wheel.schedule('tls-ticket-key-rotation', untilNextPeriod(Date.now(), this.#settings.ticketRotationMs), () => {
      this.#defaultContext = this.#contextForNow();
      this.#scheduleRotation();
    });
  }

  readonly #sni = (servername: string, callback: (error: Error | null, context?: SecureContext) => void): void => {
    const context = this.#table.select(servername);
    if (context === null) callback(null);
    else callback(null, context);
  };

  #accept(raw: RawSocket): void {
    this.#pending.add(raw);
    this.stats.pending++;
    raw[kTls] = null;
    raw[kTimer] = this.#wheel.schedule('tls-handshake-timeout', this.#settings.handshakeTimeoutMs, this.#timedOut, raw);
    raw.once('close', () => this.#settle(raw));
    // Until the first bytes say what the client speaks; an error is followed by 'close'.
    raw.on('error', ignore);
    raw.once('data', (chunk: Buffer) => this.#first(raw, chunk));
  }

  /** The handshake is over, one way or the other: its timer and its place in the pending set go. */
  #settle(raw: RawSocket): void {
    if (!this.#pending.delete(raw)) return;
    this.stats.pending--;
    if (raw[kTimer] !== 0) this.#wheel.cancel(raw[kTimer]);
    raw[kTimer] = 0;
  }

  readonly #timedOut = (raw: RawSocket): void => {
    raw[kTimer] = 0;
    this.stats.timedOut++;
    this.#settle(raw);
    (raw[kTls] ?? raw).destroy();
  };

  #first(raw: RawSocket, chunk: Buffer): void {
    const byte = chunk[0]!;
    if (byte !== TLS_HANDSHAKE) {
      this.stats.notTls++;
      // An upper-case letter is how every HTTP/1 request line starts (a method).
      if (byte >= 0x41 && byte <= 0x5a) raw.end(PLAIN_HTTP_ON_TLS, 'latin1');
      else raw.destroy();
      this.#settle(raw);
      return;
    }
    // The TLSSocket takes over the socket's handle and replays what was read already.
    raw.pause();
    raw.unshift(chunk);
    const socket = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.#defaultContext,
      SNICallback: this.#sni,
      ALPNProtocols: this.alpn,
    });
    raw[kTls] = socket;
    socket.once('close', () => this.#settle(raw));
    socket.on('error', (error: Error) => this.#failed(raw, socket, error));
    socket.once('secure', () => this.#secured(raw, socket));
  }

  #failed(raw: RawSocket, socket: TLSSocket, error: Error): void {
    void error;
    // After the handshake the HTTP side owns the socket and its errors.
    if (!this.#pending.has(raw)) return;
    this.stats.failed++;
    this.#settle(raw);
    socket.destroy();
  }

  #secured(raw: RawSocket, socket: TLSSocket): void {
    this.#settle(raw);
    this.stats.handshakes++;
    if (socket.isSessionReused()) this.stats.resumed++;
    this.#secure(socket);
  }
}

function ignore(): void {}
