// The `syslog` plugin (worker thread), as Kong 3.x's: each request's log entry (Kong's serializer,
// workers/logging/serialize.ts) goes to the local syslog daemon with the configured facility, at the
// severity its status class maps to (5xx: server_errors_severity, 4xx: client_errors_severity,
// else successful_severity), and only when that severity is at least as severe as `log_level`.
//
// Kong calls syslog(3) after openlog("kong", LOG_PID, facility), which sends one datagram per entry
// to /dev/log: `<PRI>Mmm dd hh:mm:ss kong[pid]: <json>`, PRI = facility * 8 + severity. Sluice
// sends that same datagram itself, over a non-blocking unix datagram socket
// (workers/logging/unix-dgram.ts), to the runtime option --syslog-socket (default /dev/log; Kong
// has no such field). Not syslog(3) itself: it blocks its thread while the daemon's queue is full,
// keeps one process-wide connection and facility (the worker threads would share and race on
// it), and always writes to /dev/log.
//
// Never blocking: a send the daemon's queue cannot take (EAGAIN) waits in this instance's backlog
// and is tried again with the next entry and on the worker's timer wheel; past MAX_BACKLOG_BYTES
// new entries are dropped, and
// entries that cannot be sent (no socket at the path, nobody bound to it, too large) are dropped
// at once, each counted in sluice_log_entries_dropped_total (workers/logging/drops.ts).
import { FACILITIES, schema, type Config, type Facility } from '../../../config/plugins/syslog.ts';
import type { Severity } from '../../../config/plugins/logging-fields.ts';
import type { Logger } from '../../../runtime/protocol/log.ts';
import type { RequestContext } from '../../proxy/context.ts';
import type { TimerHandle, TimerWheel } from '../../timers/wheel.ts';
import { definePlugin } from '../define.ts';
import { countDropped } from '../../logging/drops.ts';
import { serializeJson } from '../../logging/serialize.ts';
import { errorText, QUEUE_FULL, socketAddress, UnixDgramSocket } from '../../logging/unix-dgram.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';
/** Bytes of entries one instance holds while the daemon's queue is full. */
export const MAX_BACKLOG_BYTES = 1 << 20;
/** How soon a backlog is tried again when no new entry comes to try it (ms, on the timer wheel: its tick). */
export const RETRY_MS = 1;

/** syslog(3)'s severities (LOG_EMERG 0 ... LOG_DEBUG 7). */
const SEVERITY: Record<Severity, number> = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 };
/** syslog(3)'s facility numbers (LOG_KERN 0 ... LOG_LOCAL7 23). */
const FACILITY: Record<Facility, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
if (Object.keys(FACILITY).length !== FACILITIES.length) throw new Error('syslog: a facility without its number');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** syslog(3)'s timestamp: local time, `Mmm dd hh:mm:ss` with the day padded by a space. */
export function timestamp(date: Date): string {
  const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
  const day = date.getDate();
  return `${MONTHS[date.getMonth()]!} ${day < 10 ? ` ${day}` : day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** One instance's socket to the daemon and the entries waiting for room in its queue. */
export class SyslogSender {
  readonly path: string;
  readonly #address: Buffer | null;
  readonly #wheel: TimerWheel;
  readonly #log: Logger;
  #socket: UnixDgramSocket | null = null;
  readonly #backlog: Buffer[] = [];
  #backlogBytes = 0;
  #retry: TimerHandle = 0;
  /** Datagrams the kernel took (tests, diagnostics). */
  sent = 0;

  constructor(path: string, wheel: TimerWheel, log: Logger) {
    this.path = path;
    this.#address = socketAddress(path);
    this.#wheel = wheel;
    this.#log = log;
  }

  /** Entries waiting for the daemon's queue (tests, diagnostics). */
  get backlogBytes(): number {
    return this.#backlogBytes;
  }

  send(message: Buffer): void {
    // Behind a backlog: what waits goes first (one failing sendto when the queue is still full),
    // so entries reach the daemon in order and a backlog drains at the request rate, not the tick's.
    if (this.#backlog.length > 0 && !this.#drain()) return this.#hold(message);
    const result = this.#sendNow(message);
    if (result === QUEUE_FULL) this.#hold(message);
  }

  /** 0 when the kernel took the datagram, QUEUE_FULL to try again later; any other outcome drops it, counted. */
  #sendNow(message: Buffer): number {
    if (this.#address === null) return this.#failed('the socket path is longer than a unix socket address holds');
    if (this.#socket === null) {
      try {
        this.#socket = new UnixDgramSocket();
      } catch (error) {
        return this.#failed(error instanceof Error ? error.message : String(error));
      }
    }
    const result = this.#socket.sendTo(message, this.#address);
    if (result === 0) this.sent++;
    else if (result !== QUEUE_FULL) return this.#failed(errorText(result));
    return result;
  }

  #failed(reason: string): number {
    countDropped('syslog', 'send_failed', 1, this.#log, { socket: this.path, reason });
    return 1;
  }

  #hold(message: Buffer): void {
    if (this.#backlogBytes + message.length > MAX_BACKLOG_BYTES) {
      countDropped('syslog', 'backlog', 1, this.#log, { socket: this.path });
      return;
    }
    this.#backlog.push(message);
    this.#backlogBytes += message.length;
    if (this.#retry === 0) this.#retry = this.#wheel.schedule('syslog-retry', RETRY_MS, flushBacklog, this);
  }

  /** The wheel's retry: sends what waits, and comes back while some still does. */
  flush(): void {
    this.#retry = 0;
    if (!this.#drain()) this.#retry = this.#wheel.schedule('syslog-retry', RETRY_MS, flushBacklog, this);
  }

  /** Sends what waits, in order, until the daemon's queue is full again; true when nothing is left. */
  #drain(): boolean {
    const backlog = this.#backlog;
    let taken = 0;
    while (taken < backlog.length) {
      const message = backlog[taken]!;
      if (this.#sendNow(message) === QUEUE_FULL) break;
      this.#backlogBytes -= message.length;
      taken++;
    }
    if (taken > 0) backlog.splice(0, taken);
    return backlog.length === 0;
  }

  /** Entries still waiting are dropped and counted; the socket closes. */
  close(): void {
    if (this.#retry !== 0) this.#wheel.cancel(this.#retry);
    this.#retry = 0;
    countDropped('syslog', 'backlog', this.#backlog.length, this.#log, { socket: this.path, reason: 'plugin removed' });
    this.#backlog.length = 0;
    this.#backlogBytes = 0;
    this.#socket?.close();
    this.#socket = null;
  }
}

function flushBacklog(sender: SyslogSender): void {
  sender.flush();
}

export class Syslog implements PluginInstance {
  readonly sender: SyslogSender;
  /** The PRI of each status class's entries, or -1 when that class is below log_level. */
  readonly #success: number;
  readonly #client: number;
  readonly #server: number;

  constructor(config: Config, env: PluginEnv) {
    this.sender = new SyslogSender(env.syslogSocket ?? DEFAULT_SYSLOG_SOCKET, env.wheel, env.log);
    const level = SEVERITY[config.log_level];
    const facility = FACILITY[config.facility] * 8;
    // Kong: sent only when LOG_PRIORITIES[severity] <= LOG_PRIORITIES[log_level].
    const pri = (severity: Severity): number => (SEVERITY[severity] <= level ? facility + SEVERITY[severity] : -1);
    this.#success = pri(config.successful_severity);
    this.#client = pri(config.client_errors_severity);
    this.#server = pri(config.server_errors_severity);
  }

  log(ctx: RequestContext): void {
    const status = ctx.res.headersSent ? ctx.res.statusCode : 499;
    const pri = status >= 500 ? this.#server : status >= 400 ? this.#client : this.#success;
    if (pri === -1) return;
    this.sender.send(Buffer.from(`<${pri}>${timestamp(new Date())} kong[${process.pid}]: ${serializeJson(ctx)}`));
  }

  close(): void {
    this.sender.close();
  }
}

export default definePlugin<Config>(schema, Syslog);
