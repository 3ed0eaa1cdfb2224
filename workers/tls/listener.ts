// The TLS listener of a worker thread: a net.Server on the TLS port (reusePort, like the plain
// one) whose sockets are wrapped in a server-side TLSSocket here, so the handshake runs under this
// worker's own rules rather than tls.Server's per-socket timers:
//   - the first bytes decide: a TLS record (0x16) starts the handshake; a plain HTTP request gets
//     nginx's answer (400, "The plain HTTP request was sent to HTTPS port") and is closed; anything
//     else is closed unanswered;
//   - a handshake must finish within `handshakeTimeoutMs`, on the worker's timer wheel;
//   - the certificate is chosen by SNI from the current SniTable, swapped in whole on a config
//     change (no listener restart; a handshake under way keeps the table it started with), else
//     the default certificate. The name is read from the ClientHello already in hand
//     (client-hello.ts) and the TLSSocket starts on that certificate's context; only a hello that
//     cannot be read from the first bytes goes through node's SNICallback (a pause in the middle
//     of every handshake it serves);
//   - TLS 1.2 and 1.3; session tickets under keys every worker derives for the same period
//     (ticket-keys.ts), switched at each period boundary on the wheel, in every context a
//     handshake can start on.
// A socket whose handshake is done goes to `secure` (workers/worker.ts), which hands it to the
// HTTP/1.1 connection code, or to HTTP/2 when ALPN chose `h2` (`alpn`, set by the worker).
import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { PemPair, TlsListenerSettings } from '../../runtime/protocol/tls-settings.ts';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import { clientHelloServerName } from './client-hello.ts';
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

/** The native half of a SecureContext (node's `context.context`), for what createSecureContext sets only at birth. */
interface NativeContext {
  setTicketKeys(keys: Buffer): void;
  setSessionTimeout(seconds: number): void;
}

/** ALPN's wire format (RFC 7301 §3.1): each protocol name prefixed by its length. */
function alpnWire(protocols: readonly string[]): Buffer {
  return Buffer.concat(protocols.map((name) => Buffer.concat([Buffer.from([Buffer.byteLength(name)]), Buffer.from(name, 'latin1')])));
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

type SniCallback = (servername: string, callback: (error: Error | null, context?: SecureContext) => void) => void;

const kTimer = Symbol('sluice.tls-handshake-timer');
const kTls = Symbol('sluice.tls-socket');
/** An accepted socket; once its first bytes were TLS, the TLSSocket that took it over. */
type RawSocket = Socket & { [kTimer]: TimerHandle; [kTls]: TLSSocket | null };

export class TlsListener {
  readonly net: Server;
  readonly stats: TlsStats = { handshakes: 0, resumed: 0, failed: 0, timedOut: 0, notTls: 0, pending: 0 };
  /** ALPN protocols offered, in wire format (made once, not per connection). */
  #alpn: Buffer = alpnWire(['http/1.1']);
  #alpnNames: readonly string[] = ['http/1.1'];
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
  /** This period's ticket key block, set in every context of the table as well. */
  #ticketKeys: Buffer;

  constructor(settings: TlsListenerSettings, wheel: TimerWheel, secure: (socket: TLSSocket) => void) {
    this.#settings = settings;
    this.#wheel = wheel;
    this.#secure = secure;
    this.#ticketKeys = this.#keysForNow();
    this.#defaultContext = this.#contextForNow();
    this.net = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket as RawSocket));
  }

  /** ALPN protocols offered, in preference order (RFC 7301). The worker puts `h2` first when it serves HTTP/2. */
  set alpn(protocols: readonly string[]) {
    this.#alpnNames = [...protocols];
    this.#alpn = alpnWire(protocols);
  }

  get alpn(): readonly string[] {
    return this.#alpnNames;
  }

  /**
   * The table new handshakes select certificates from; handshakes under way keep theirs. A
   * handshake starts on the context SNI selects, and OpenSSL seals and opens tickets with the keys
   * of the context a handshake starts on: every context of the table gets this period's keys.
   */
  set table(table: SniTable) {
    this.#shareTicketKeys(table);
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

  #keysForNow(): Buffer {
    const { ticketSecret, ticketRotationMs } = this.#settings;
    return ticketKeys(ticketSecret, ticketPeriod(Date.now(), ticketRotationMs));
  }

  #contextForNow(): SecureContext {
    const { ticketRotationMs, defaultCert } = this.#settings;
    return secureContext(defaultCert, this.#ticketKeys, Math.ceil(ticketRotationMs / 1000));
  }

  #shareTicketKeys(table: SniTable): void {
    const timeout = Math.ceil(this.#settings.ticketRotationMs / 1000);
    for (const context of table.contexts()) {
      const native = (context as SecureContext & { context: NativeContext }).context;
      native.setTicketKeys(this.#ticketKeys);
      native.setSessionTimeout(timeout);
    }
  }

  #scheduleRotation(): void {
    // The wheel never fires early, so the new period has begun when this runs.
    this.#rotation = this.#wheel.schedule('tls-ticket-key-rotation', untilNextPeriod(Date.now(), this.#settings.ticketRotationMs), () => {
      this.#ticketKeys = this.#keysForNow();
    this.#defaultContext = this.#contextForNow();
      this.#scheduleRotation();
    });
  }

  readonly #sni: SniCallback = (servername, callback) => {
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
    // The certificate, chosen now from the server name in the hello when it can be read; else
    // (the hello is split, or odd) by OpenSSL's parse through the SNICallback. With no SNI
    // entries at all there is nothing to choose: the default certificate, and no callback.
    const table = this.#table;
    let context = this.#defaultContext;
    let sni: SniCallback | undefined;
    if (table.size > 0) {
      const name = clientHelloServerName(chunk);
      if (name === undefined) sni = this.#sni;
      else if (name !== null) context = table.select(name) ?? context;
    }
    // The TLSSocket takes over the socket's handle and replays what was read already.
    raw.pause();
    raw.unshift(chunk);
    const socket = new TLSSocket(raw, {
      isServer: true,
      secureContext: context,
      ...(sni === undefined ? {} : { SNICallback: sni }),
      ALPNProtocols: this.#alpn,
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
