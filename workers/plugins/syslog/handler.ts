// The `syslog` plugin (worker thread), as Kong 3.x's: each request's log entry (Kong's serializer,
// workers/logging/serialize.ts) goes to the local syslog daemon with the configured facility, at the
// severity its status class maps to (5xx: server_errors_severity, 4xx: client_errors_severity,
// else successful_severity), and only when that severity is at least as severe as `log_level`.
//
// Kong calls syslog(3) (lsyslog, ident "kong"), which writes datagrams to /dev/log. Sluice writes
// the same kind of datagram — `<PRI>Mmm dd hh:mm:ss kong[pid]: <json>`, PRI = facility * 8 +
// severity — to the unix datagram socket at env.syslogSocket (the runtime option --syslog-socket,
// default /dev/log; Kong has no such field). Node has no unix datagram sockets, so the socket is
// node-unix-socket's DgramSocket (a native module with prebuilt binaries, loaded when this module
// loads; where its binary is missing — an install with --omit=optional — the plugin logs that once
// and counts its entries as dropped instead of failing the worker). Sends never wait; at most MAX_IN_FLIGHT may be outstanding,
// past that (or with no socket at the path) entries are dropped and counted (workers/logging/drops.ts).
import type * as UnixSocketModule from 'node-unix-socket';
import { FACILITIES, schema, type Config, type Facility } from '../../../config/plugins/syslog.ts';
import type { Severity } from '../../../config/plugins/logging-fields.ts';
import type { Logger } from '../../../runtime/protocol/log.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import { countDropped } from '../../logging/drops.ts';
import { serializeJson } from '../../logging/serialize.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';
export const MAX_IN_FLIGHT = 1024;

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
function timestamp(date: Date): string {
  const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
  const day = date.getDate();
  return `${MONTHS[date.getMonth()]!} ${day < 10 ? ` ${day}` : day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

type UnixDgram = typeof UnixSocketModule;
const unix: UnixDgram | Error = await import('node-unix-socket').then(
  (module) => module,
  (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
);

/** This worker's one socket to the syslog daemon (module state is per worker thread). */
class SyslogSocket {
  readonly #socket: InstanceType<UnixDgram['DgramSocket']>;
  #inFlight = 0;
  /** Datagrams the kernel took (tests, diagnostics). */
  sent = 0;

  constructor(module: UnixDgram) {
    this.#socket = new module.DgramSocket();
    this.#socket.on('error', () => {});
  }

  close(): void {
    this.#socket.close();
  }

  send(path: string, message: Buffer, log: Logger): void {
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      countDropped('syslog', 'backlog', 1, log, { socket: path });
      return;
    }
    this.#inFlight++;
    try {
      this.#socket.sendTo(message, 0, message.length, path, (error) => {
        this.#inFlight--;
        if (error === undefined || error === null) this.sent++;
        else countDropped('syslog', 'send_failed', 1, log, { socket: path, err: error });
      });
    } catch (error) {
      this.#inFlight--;
      countDropped('syslog', 'send_failed', 1, log, { socket: path, err: error });
    }
  }
}

// One socket per worker, opened on the first entry and closed with the last syslog instance (an
// open DgramSocket holds its thread's event loop).
let shared: SyslogSocket | null = null;
let holders = 0;

/** Closes this thread's syslog socket (the next entry opens another). */
export function closeSyslogSocket(): void {
  shared?.close();
  shared = null;
}

export class Syslog implements PluginInstance {
  readonly #path: string;
  readonly #log: Logger;
  readonly #level: number;
  /** The PRI of each status class's entries, or -1 when that class is below log_level. */
  readonly #success: number;
  readonly #client: number;
  readonly #server: number;

  constructor(config: Config, env: PluginEnv) {
    this.#path = env.syslogSocket ?? DEFAULT_SYSLOG_SOCKET;
    this.#log = env.log;
    this.#level = SEVERITY[config.log_level];
    const facility = FACILITY[config.facility] * 8;
    const pri = (severity: Severity): number => (SEVERITY[severity] <= this.#level ? facility + SEVERITY[severity] : -1);
    this.#success = pri(config.successful_severity);
    this.#client = pri(config.client_errors_severity);
    this.#server = pri(config.server_errors_severity);
    holders++;
  }

  close(): void {
    if (--holders === 0) closeSyslogSocket();
  }

  log(ctx: RequestContext): void {
    const status = ctx.res.headersSent ? ctx.res.statusCode : 499;
    const pri = status >= 500 ? this.#server : status >= 400 ? this.#client : this.#success;
    if (pri === -1) return;
    if (unix instanceof Error) {
      countDropped('syslog', 'send_failed', 1, this.#log, { err: unix, reason: 'node-unix-socket is not installed' });
      return;
    }
    const message = Buffer.from(`<${pri}>${timestamp(new Date())} kong[${process.pid}]: ${serializeJson(ctx)}`);
    (shared ??= new SyslogSocket(unix)).send(this.#path, message, this.#log);
  }
}

export default definePlugin<Config>(schema, Syslog);
