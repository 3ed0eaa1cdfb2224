// Command-line options of `node runtime` (primary thread).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits, type UnderscoreHeaders } from './protocol/listener-limits.ts';
import { DNS_OPTIONS, DNS_USAGE, parseDnsOptions } from './dns-options.ts';
import type { DnsSettings } from './protocol/health-messages.ts';
import { hostName } from './admin/guard.ts';
import { DEFAULT_COUNTER_SLOTS, MAX_COUNTER_SLOTS } from './protocol/counters.ts';
import type { ClientTimeoutSettings } from './protocol/messages.ts';

export interface Options {
  config: string | null;
  proxyHost: string;
  proxyPort: number;
  adminHost: string;
  adminPort: number;
  statusListen: { host: string; port: number } | null;
  workers: number;
  drainTimeoutMs: number;
  drainIdleGraceMs: number;
  rebuildAll: boolean;
  clientTimeouts: ClientTimeoutSettings;
  listenerLimits: ListenerLimits;
  /** Keep one loaded spare worker thread to take a dead worker's slot at once. */
  spare: boolean;
  dns: DnsSettings;
  /** Admin API: Host names and browser origins let through (runtime/admin/guard.ts), and the token. */
  adminAllowHosts: string[];
  adminAllowOrigins: string[];
  adminToken: string | null;
  /** Slots per period of the shared rate-limiting counter table (runtime/protocol/counters.ts). */
  rateLimitSlots: number;
}

export const USAGE = `Usage: node runtime [options]
       node runtime check FILE   validate a declarative config: every error, or entity counts and hash
  --config FILE          Kong 3.x declarative config (YAML or JSON); default: the embedded config/default.yaml
  --port N               proxy port (default 8000)
  --host ADDR            proxy address (default 0.0.0.0)
  --admin-listen H:P     Admin API address (default 127.0.0.1:8001; never the proxy port)
  --status-listen H:P    optional listener serving only /metrics and readiness (off by default)
  --workers N            worker threads (default: available cores)
  --drain-timeout MS     how long SIGTERM waits for in-flight requests (default 10000)
  --drain-idle-grace MS  while draining, how long an idle keep-alive connection stays open for a request already sent (default 1000)
  --client-idle-timeout MS   close a client connection idle (or sending a request head) this long (default 60000)
  --client-body-timeout MS   answer 408 when a request body makes no progress this long (default 60000)
  --client-send-timeout MS   close a client that takes none of its response this long (default 60000)
  --max-request-line BYTES   longer request lines get 414 (default 8192)
  --max-request-head BYTES   longer request heads, whitespace included, get 431 (default 16384)
  --max-header-fields N      more header fields get 431 (default 100)
  --keepalive-requests N     requests per client connection, then Connection: close (default 1000)
  --client-max-body-size BYTES   larger request bodies get 413 (default 0 = unlimited)
  --max-connections N        open client connections per worker (default 0 = unlimited)
  --underscore-headers drop|reject|allow   request header names with "_" (default drop; reject = 400)
  --admin-allow-host NAME    a Host name the Admin API answers besides its listen address and localhost (repeatable, or comma-separated)
  --admin-allow-origin ORIGIN  a browser origin (scheme://host[:port]) allowed to call the Admin API (repeatable, or comma-separated)
  --admin-token TOKEN    require "Authorization: Bearer TOKEN" or "Kong-Admin-Token: TOKEN" on every Admin API request (or env SLUICE_ADMIN_TOKEN)
  --rate-limit-slots N   live rate-limiting keys per period the shared counter table holds (default 1048576, 16 B each; rounded up to a power of two)
  --no-spare             do not keep a loaded spare worker thread (saves one V8 heap; a dead worker is then replaced in ~1 s, not ms)
${DNS_USAGE}
  --rebuild-all          diagnostic: rebuild every worker component on every change, as Kong does
  -h, --help             this text`;

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const host = at > 0 ? value.slice(0, at) : '127.0.0.1';
  const port = parsePort(at >= 0 ? value.slice(at + 1) : value, flag);
  return { host, port };
}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: not a port: ${value}`);
  return port;
}

/** A whole number from a flag, within min..max. */
function whole(value: string | undefined, fallback: number, min: number, max: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${flag}: expected a whole number ${min}..${max}, got ${value}`);
  return n;
}

/** Milliseconds from a flag, within what the timer wheel takes. */
function duration(value: string | undefined, fallback: number, min: number, flag: string): number {
  if (value === undefined) return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < min || ms > 2 ** 31 - 1) throw new Error(`${flag}: expected whole milliseconds ${min}..${2 ** 31 - 1}, got ${value}`);
  return ms;
}

/** Values of a repeatable flag, each possibly a comma-separated list. */
function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

function allowHost(value: string): string {
  if (hostName(value) === null || /:[0-9]+$/.test(value)) throw new Error(`--admin-allow-host: expected a host name or IP literal without port, got ${value}`);
  return value;
}

function allowOrigin(value: string): string {
  let origin: string | null = null;
  try {
    origin = new URL(value).origin;
  } catch {
    // reported below
  }
  if (origin === null || origin === 'null' || origin !== value.toLowerCase().replace(/\/$/, '')) throw new Error(`--admin-allow-origin: expected scheme://host[:port], got ${value}`);
  return origin;
}

function rateLimitSlots(value: string | undefined): number {
  if (value === undefined) return DEFAULT_COUNTER_SLOTS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 16 || n > MAX_COUNTER_SLOTS) throw new Error(`--rate-limit-slots: expected 16..${MAX_COUNTER_SLOTS}, got ${value}`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'admin-listen': { type: 'string' },
      'status-listen': { type: 'string' },
      workers: { type: 'string' },
      'drain-timeout': { type: 'string' },
      'drain-idle-grace': { type: 'string' },
      'client-idle-timeout': { type: 'string' },
      'client-body-timeout': { type: 'string' },
      'client-send-timeout': { type: 'string' },
      'max-request-line': { type: 'string' },
      'max-request-head': { type: 'string' },
      'max-header-fields': { type: 'string' },
      'keepalive-requests': { type: 'string' },
      'client-max-body-size': { type: 'string' },
      'max-connections': { type: 'string' },
      'underscore-headers': { type: 'string' },
      'rebuild-all': { type: 'boolean' },
      'no-spare': { type: 'boolean' },
      'admin-allow-host': { type: 'string', multiple: true },
      'admin-allow-origin': { type: 'string', multiple: true },
      'admin-token': { type: 'string' },
      'rate-limit-slots': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...DNS_OPTIONS,
    },
  });
  if (values.help) return 'help';
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new Error(`--workers: expected 1..256, got ${values.workers}`);
  const drainTimeoutMs = duration(values['drain-timeout'], 10_000, 0, '--drain-timeout');
  const admin = parseHostPort(values['admin-listen'] ?? '127.0.0.1:8001', '--admin-listen');
  const options: Options = {
    config: values.config ?? null,
    proxyHost: values.host ?? '0.0.0.0',
    proxyPort: values.port === undefined ? 8000 : parsePort(values.port, '--port'),
    adminHost: admin.host,
    adminPort: admin.port,
    statusListen: values['status-listen'] ? parseHostPort(values['status-listen'], '--status-listen') : null,
    workers,
    drainTimeoutMs,
    drainIdleGraceMs: duration(values['drain-idle-grace'], 1000, 0, '--drain-idle-grace'),
    rebuildAll: values['rebuild-all'] ?? false,
    spare: !(values['no-spare'] ?? false),
    adminAllowHosts: list(values['admin-allow-host']).map(allowHost),
    adminAllowOrigins: list(values['admin-allow-origin']).map(allowOrigin),
    // The flag wins over the environment; the environment keeps the token out of `ps`.
    adminToken: values['admin-token'] ?? (env['SLUICE_ADMIN_TOKEN'] || null),
    rateLimitSlots: rateLimitSlots(values['rate-limit-slots']),
    clientTimeouts: {
      idleMs: duration(values['client-idle-timeout'], 60_000, 1, '--client-idle-timeout'),
      bodyMs: duration(values['client-body-timeout'], 60_000, 1, '--client-body-timeout'),
      sendMs: duration(values['client-send-timeout'], 60_000, 1, '--client-send-timeout'),
    },
    listenerLimits: listenerLimits(values),
    dns: parseDnsOptions(values),
  };
  if (options.adminToken === '') throw new Error('--admin-token: must not be empty');
  if (options.adminPort !== 0 && options.adminPort === options.proxyPort) throw new Error('--admin-listen must not use the proxy port');
  return options;
}

function listenerLimits(values: Record<string, string | string[] | boolean | undefined>): ListenerLimits {
  const get = (flag: string): string | undefined => values[flag] as string | undefined;
  const d = DEFAULT_LISTENER_LIMITS;
  const underscore = get('underscore-headers') ?? d.underscoreHeaders;
  if (underscore !== 'drop' && underscore !== 'reject' && underscore !== 'allow') throw new Error(`--underscore-headers: expected drop, reject or allow, got ${underscore}`);
  const limits: ListenerLimits = {
    // A request line needs room for at least "GET / HTTP/1.1"; a head for a line and a Host.
    maxRequestLineBytes: whole(get('max-request-line'), d.maxRequestLineBytes, 64, 1 << 20, '--max-request-line'),
    maxHeadBytes: whole(get('max-request-head'), d.maxHeadBytes, 128, 1 << 24, '--max-request-head'),
    maxHeaderFields: whole(get('max-header-fields'), d.maxHeaderFields, 1, 10_000, '--max-header-fields'),
    keepaliveRequests: whole(get('keepalive-requests'), d.keepaliveRequests, 1, 2 ** 31 - 1, '--keepalive-requests'),
    maxBodyBytes: whole(get('client-max-body-size'), d.maxBodyBytes, 0, Number.MAX_SAFE_INTEGER, '--client-max-body-size'),
    maxConnections: whole(get('max-connections'), d.maxConnections, 0, 1 << 24, '--max-connections'),
    underscoreHeaders: underscore satisfies UnderscoreHeaders,
  };
  if (limits.maxRequestLineBytes > limits.maxHeadBytes) throw new Error('--max-request-line must not exceed --max-request-head');
  return limits;
}
