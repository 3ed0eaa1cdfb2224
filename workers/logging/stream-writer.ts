// Runs on a worker thread: tcp-log's connection to its log server (TCP, or TLS with `tls`), one
// per host/port/TLS settings per worker, shared by the instances that name them (Kong reuses a
// keep-alive connection from its cosocket pool the same way).
//
// As Kong's: each entry is its JSON and a newline; `timeout` bounds the connect (and the TLS
// handshake) and a send that makes no progress; an idle connection is closed after `keepalive` ms;
// the TLS certificate is not verified (Kong: sslhandshake(false, tls_sni, false)) and `tls_sni`
// is the SNI sent. The log phase never waits: the entry is written to the socket (or held while it
// connects) and Node sends it. A log server that is down or never reads cannot grow the heap: at
// most MAX_BACKLOG_BYTES wait, in the socket's buffer and before it connects; past that entries are
// dropped, and entries lost with a failed or timed-out connection are counted too (drops.ts).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from '../../runtime/protocol/log.ts';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import { countDropped } from './drops.ts';

/** Bytes an unresponsive log server may leave waiting per connection before entries are dropped. */
export const MAX_BACKLOG_BYTES = 1024 * 1024;

export interface StreamTarget {
  host: string;
  port: number;
  timeoutMs: number;
  keepaliveMs: number;
  tls: boolean;
  sni: string | null;
}

export class StreamWriter {
  readonly key: string;
  readonly #target: StreamTarget;
  readonly #plugin: string;
  readonly #wheel: TimerWheel;
  readonly #log: Logger;
  #socket: Socket | null = null;
  #connected = false;
  /** Entries waiting for the connection. */
  #pending: string[] = [];
  #pendingBytes = 0;
  /** Bytes written to the socket and not yet handed to the kernel (their callbacks pending). */
  #unflushedBytes = 0;
  #idleTimer: TimerHandle = 0;
  #stallTimer: TimerHandle = 0;
  #stallMark = -1;
  #holders = 0;
  #closed = false;
  readonly #onClosed: (writer: StreamWriter) => void;
  /** Entries the kernel took, and connections made (tests, diagnostics). */
  sent = 0;
  connections = 0;

  constructor(key: string, target: StreamTarget, plugin: string, wheel: TimerWheel, log: Logger, onClosed: (writer: StreamWriter) => void) {
    this.key = key;
    this.#target = target;
    this.#plugin = plugin;
    this.#wheel = wheel;
    this.#log = log;
    this.#onClosed = onClosed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes held for the log server (before the connection and in the socket's buffer). */
  get backlogBytes(): number {
    return this.#pendingBytes + this.#unflushedBytes;
  }

  acquire(): void {
    this.#holders++;
  }

  release(): void {
    this.#holders--;
    if (this.#holders > 0 || this.#closed) return;
    this.#closed = true;
    this.#onClosed(this);
    // What was written still goes out; the connection then closes.
    const socket = this.#socket;
    if (socket !== null && this.#connected) socket.end();
    else if (socket !== null) socket.destroy();
    this.#cancelTimers();
  }

  write(line: string): void {
    if (this.#closed) return;
    if (this.backlogBytes + line.length > MAX_BACKLOG_BYTES) {
      countDropped(this.#plugin, 'backlog', 1, this.#log, { host: this.#target.host, port: this.#target.port });
      return;
    }
    if (this.#socket === null) this.#connect();
    if (!this.#connected) {
      this.#pending.push(line);
      this.#pendingBytes += line.length;
      return;
    }
    this.#send(line);
  }

  #send(line: string): void {
    const socket = this.#socket!;
    this.#unflushedBytes += line.length;
    socket.write(line, (error) => {
      this.#unflushedBytes -= line.length;
      if (error === null || error === undefined) this.sent++;
      else countDropped(this.#plugin, 'send_failed', 1, this.#log, { host: this.#target.host, port: this.#target.port, err: error });
    });
    if (socket.writableLength > 0) this.#armStall();
    this.#touchIdle();
  }

  #connect(): void {
    const { host, port, timeoutMs, tls, sni } = this.#target;
    const socket = tls
      ? tlsConnect({ host, port, rejectUnauthorized: false, ...(sni !== null ? { servername: sni } : isIP(host) === 0 ? { servername: host } : {}) })
      : netConnect({ host, port });
    this.#socket = socket;
    this.#connected = false;
    this.connections++;
    socket.setNoDelay(true);
    // The log server's answers, if any, are not read by Kong either; keep the socket flowing.
    socket.on('data', () => {});
    const ready = (): void => {
      if (this.#socket !== socket) return;
      this.#cancelStall();
      this.#connected = true;
      const pending = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      for (const line of pending) this.#send(line);
      this.#touchIdle();
    };
    socket.once(tls ? 'secureConnect' : 'connect', ready);
    socket.on('error', (error) => {
      if (this.#socket === socket) this.#log.warn({ plugin: this.#plugin, host, port, err: error }, `${this.#plugin}: connection to the log server failed`);
    });
    socket.on('close', () => this.#lost(socket));
    // The connect (and handshake) must finish within `timeout`.
    this.#stallMark = -1;
    this.#stallTimer = this.#wheel.schedule('stream-log-timeout', Math.max(1, timeoutMs), stalled, this);
  }

  /** The socket went away: entries still waiting for it are lost (counted); the next entry reconnects. */
  #lost(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    this.#connected = false;
    this.#cancelTimers();
    const lost = this.#pending.length;
    this.#pending = [];
    this.#pendingBytes = 0;
    countDropped(this.#plugin, 'send_failed', lost, this.#log, { host: this.#target.host, port: this.#target.port });
  }

  /** `timeout` passed: a connect that did not finish, or a send that made no progress, ends the connection. */
  onStall(): void {
    this.#stallTimer = 0;
    const socket = this.#socket;
    if (socket === null) return;
    if (!this.#connected) {
      socket.destroy(new Error(`${this.#plugin}: connect timed out after ${this.#target.timeoutMs} ms`));
      return;
    }
    if (socket.writableLength === 0) return;
    if (socket.bytesWritten !== this.#stallMark) return this.#armStall();
    socket.destroy(new Error(`${this.#plugin}: send timed out after ${this.#target.timeoutMs} ms`));
  }

  #armStall(): void {
    const socket = this.#socket;
    if (socket === null) return;
    this.#stallMark = socket.bytesWritten;
    if (this.#stallTimer === 0) this.#stallTimer = this.#wheel.schedule('stream-log-timeout', Math.max(1, this.#target.timeoutMs), stalled, this);
  }

  #cancelStall(): void {
    if (this.#stallTimer !== 0) this.#wheel.cancel(this.#stallTimer);
    this.#stallTimer = 0;
  }

  #touchIdle(): void {
    const keepalive = Math.max(1, this.#target.keepaliveMs);
    if (this.#idleTimer === 0 || !this.#wheel.reschedule(this.#idleTimer, keepalive)) this.#idleTimer = this.#wheel.schedule('stream-log-keepalive', keepalive, idle, this);
  }

  /** keepalive passed since the last entry: close the connection (after what it still has to send). */
  onIdle(): void {
    this.#idleTimer = 0;
    const socket = this.#socket;
    if (socket === null || !this.#connected) return;
    if (socket.writableLength > 0) return this.#touchIdle();
    this.#socket = null;
    this.#connected = false;
    this.#cancelStall();
    socket.end();
  }

  #cancelTimers(): void {
    this.#cancelStall();
    if (this.#idleTimer !== 0) this.#wheel.cancel(this.#idleTimer);
    this.#idleTimer = 0;
  }
}

function stalled(writer: StreamWriter): void {
  writer.onStall();
}

function idle(writer: StreamWriter): void {
  writer.onIdle();
}

const writers = new Map<string, StreamWriter>();

/** The writer for `target` on this worker, held by the caller until it calls release(). */
export function holdStreamWriter(plugin: string, target: StreamTarget, wheel: TimerWheel, log: Logger): StreamWriter {
  const key = JSON.stringify([plugin, target.host, target.port, target.timeoutMs, target.keepaliveMs, target.tls, target.sni]);
  let writer = writers.get(key);
  if (writer === undefined || writer.closed) {
    writer = new StreamWriter(key, target, plugin, wheel, log, (closed) => {
      if (writers.get(closed.key) === closed) writers.delete(closed.key);
    });
    writers.set(key, writer);
  }
  writer.acquire();
  return writer;
}
