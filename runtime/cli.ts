// Command-line options of `node runtime` (primary thread). One table, OPTIONS, gives each option
// its flag, its environment variable and its line of usage: adding an option is one line there,
// plus reading `values[name]` in parseOptions. Precedence: the flag, then SLUICE_<NAME> (dashes as
// underscores: --admin-listen is SLUICE_ADMIN_LISTEN), then the Kong variable that means the same
// (kong-env.ts), then the default.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits, type UnderscoreHeaders } from './protocol/listener-limits.ts';
import { parseDnsOptions } from './dns-options.ts';
import type { DnsSettings } from './protocol/health-messages.ts';
import { hostName } from './admin/guard.ts';
import { kongValues, kongVariable } from './kong-env.ts';
import { parseListen, parsePort, parseProxyListen, type ListenAddress } from './listen-address.ts';
import { DEFAULT_COUNTER_SLOTS, MAX_COUNTER_SLOTS } from './protocol/counters.ts';
import { DEFAULT_HTTP2_SETTINGS, type Http2Settings } from './protocol/http2-settings.ts';
import { SluiceError } from './protocol/errors.ts';
import { BACKGROUND_NICE_STEP } from './protocol/thread-priority.ts';
import { DEFAULT_HEADERS, DEFAULT_HEADERS_UPSTREAM, parseGatewayHeaders, type GatewayHeaderSettings } from './protocol/gateway-headers.ts';
import type { ClientTimeoutSettings, UpstreamTlsBoot } from './protocol/messages.ts';

export interface Options {
  config: string | null;
  proxyHost: string;
  proxyPort: number;
  /** listen(2) backlog of every worker's proxy socket; null: Node's default. */
  proxyBacklog: number | null;
  adminHost: string;
  adminPort: number;
  adminBacklog: number | null;
  statusListen: ListenAddress | null;
  workers: number;
  drainTimeoutMs: number;
  drainIdleGraceMs: number;
  rebuildAll: boolean;
  /** Nice levels background threads (the config thread) run below the workers; Linux only. */
  backgroundNice: number;
  clientTimeouts: ClientTimeoutSettings;
  listenerLimits: ListenerLimits;
  /** Keep one loaded spare worker thread to take a dead worker's slot at once. */
  spare: boolean;
  upstreamTls: UpstreamTlsBoot;
  dns: DnsSettings;
  /** Admin API: Host names and browser origins let through (runtime/admin/guard.ts), and the token. */
  adminAllowHosts: string[];
  adminAllowOrigins: string[];
  adminToken: string | null;
  /** Slots per period of the shared rate-limiting counter table (runtime/protocol/counters.ts). */
  rateLimitSlots: number;
  /** The syslog plugin's unix datagram socket (default /dev/log). */
  syslogSocket: string;
  /** Kong's `headers` / `headers_upstream`: headers the gateway adds. */
  gatewayHeaders: GatewayHeaderSettings;
  http2: Http2Settings;
  /** The TLS proxy listener; null with `--ssl-port off`. */
  ssl: SslOptions | null;
}

export interface SslOptions {
  host: string;
  /** 0: the primary picks a free port. */
  port: number;
  backlog: number | null;
  /** PEM files of the default certificate; both null: a self-signed one is generated at start. */
  certFile: string | null;
  keyFile: string | null;
  handshakeTimeoutMs: number;
  ticketRotationMs: number;
}

interface OptionSpec {
  /** The flag without its dashes. */
  readonly name: string;
  /** The argument's name in the usage text; a flag without one is a boolean. */
  readonly arg?: string;
  /** May be given more than once (in the environment: a comma-separated list). */
  readonly multiple?: boolean;
  readonly help: string;
}

export const OPTIONS = [
  { name: 'config', arg: 'FILE', help: 'Kong 3.x declarative config (YAML or JSON); default: the embedded config/default.yaml' },
  { name: 'proxy-listen', arg: 'H:P', help: 'proxy address in Kong syntax, e.g. 0.0.0.0:8000 or [::]:8000 backlog=4096 (default 0.0.0.0:8000)' },
  { name: 'port', arg: 'N', help: 'proxy port (overrides the one in --proxy-listen)' },
  { name: 'host', arg: 'ADDR', help: 'proxy address (overrides the one in --proxy-listen)' },
  { name: 'ssl-port', arg: 'N', help: 'TLS proxy port (default 8443; "off": no TLS listener)' },
  { name: 'ssl-host', arg: 'ADDR', help: 'TLS proxy address (default: the proxy address)' },
  { name: 'ssl-cert', arg: 'FILE', help: 'PEM certificate chain served when no SNI matches (default: a self-signed one made at start)' },
  { name: 'ssl-cert-key', arg: 'FILE', help: "PEM private key of --ssl-cert" },
  { name: 'ssl-handshake-timeout', arg: 'MS', help: 'close a TLS connection whose handshake is not done after this long (default 60000)' },
  { name: 'ssl-ticket-rotation', arg: 'MS', help: 'session ticket key lifetime, shared by all workers (default 3600000)' },
  { name: 'admin-listen', arg: 'H:P', help: 'Admin API address (default 127.0.0.1:8001; never the proxy port)' },
  { name: 'status-listen', arg: 'H:P', help: 'optional listener serving only /metrics and readiness (default off)' },
  { name: 'workers', arg: 'N', help: 'worker threads (default: available cores)' },
  { name: 'drain-timeout', arg: 'MS', help: 'how long SIGTERM waits for in-flight requests (default 10000)' },
  { name: 'drain-idle-grace', arg: 'MS', help: 'while draining, how long an idle keep-alive connection stays open for a request already sent (default 1000)' },
  { name: 'client-idle-timeout', arg: 'MS', help: 'close a client connection idle (or sending a request head) this long (default 60000)' },
  { name: 'client-body-timeout', arg: 'MS', help: 'answer 408 when a request body makes no progress this long (default 60000)' },
  { name: 'client-send-timeout', arg: 'MS', help: 'close a client that takes none of its response this long (default 60000)' },
  { name: 'max-request-line', arg: 'BYTES', help: 'longer request lines get 414 (default 8192)' },
  { name: 'max-request-head', arg: 'BYTES', help: 'longer request heads, whitespace included, get 431 (default 16384)' },
  { name: 'max-header-fields', arg: 'N', help: 'more header fields get 431 (default 100)' },
  { name: 'keepalive-requests', arg: 'N', help: 'requests per client connection, then Connection: close (default 1000)' },
  { name: 'client-max-body-size', arg: 'BYTES', help: 'larger request bodies get 413 (default 0 = unlimited)' },
  { name: 'max-connections', arg: 'N', help: 'open client connections per worker (default 0 = unlimited)' },
  { name: 'underscore-headers', arg: 'MODE', help: 'request header names with "_": drop, reject (400) or allow (default drop)' },
  { name: 'h2c', help: 'HTTP/2 with prior knowledge (h2c) on the plain proxy port, beside HTTP/1.1 (default off)' },
  { name: 'h2-max-concurrent-streams', arg: 'N', help: 'HTTP/2 streams a client may open at once per connection (default 128)' },
  { name: 'h2-max-resets', arg: 'N', help: 'HTTP/2 streams a client may reset per connection in 10 s; more: GOAWAY and close (default 200)' },
  { name: 'dns-resolver', arg: 'H[:P],...', help: "name servers for upstream target names (default: the system's)" },
  { name: 'dns-hostsfile', arg: 'FILE', help: 'hosts file read first (default /etc/hosts; "none": none)' },
  { name: 'dns-order', arg: 'LIST', help: 'record types tried in order, LAST = the one that answered last (default LAST,SRV,A,AAAA)' },
  { name: 'dns-min-ttl', arg: 'S', help: "lower bound on a DNS answer's TTL (default 1)" },
  { name: 'dns-max-ttl', arg: 'S', help: "upper bound on a DNS answer's TTL (default 3600)" },
  { name: 'dns-stale-ttl', arg: 'S', help: 'how long an expired answer keeps serving while refreshes fail (default 3600)' },
  { name: 'upstream-tls-verify', help: "verify https upstreams' certificates when a service's tls_verify is null (Kong's proxy_ssl_verify; default off)" },
  { name: 'upstream-trusted-ca', arg: 'FILE', help: "PEM CA bundle that verifies upstream certificates (Kong's lua_ssl_trusted_certificate; default: the system store)" },
  { name: 'admin-allow-host', arg: 'NAME', multiple: true, help: 'a Host name the Admin API answers besides its listen address and localhost (repeatable, or comma-separated)' },
  { name: 'admin-allow-origin', arg: 'ORIGIN', multiple: true, help: 'a browser origin (scheme://host[:port]) allowed to call the Admin API (repeatable, or comma-separated)' },
  { name: 'admin-token', arg: 'TOKEN', help: 'require "Authorization: Bearer TOKEN" or "Kong-Admin-Token: TOKEN" on every Admin API request (SLUICE_ADMIN_TOKEN keeps it out of `ps`)' },
  { name: 'rate-limit-slots', arg: 'N', help: 'live rate-limiting keys per period the shared counter table holds (default 1048576, 16 B each; rounded up to a power of two)' },
  { name: 'headers', arg: 'LIST', help: `headers the gateway adds to responses, Kong's \`headers\` (default "${DEFAULT_HEADERS}"; off = none)` },
  { name: 'headers-upstream', arg: 'LIST', help: `headers the gateway adds to upstream requests, Kong's \`headers_upstream\` (default "${DEFAULT_HEADERS_UPSTREAM}"; off = none)` },
  { name: 'syslog-socket', arg: 'PATH', help: "unix datagram socket the syslog plugin writes to (default /dev/log; Kong's syslog has no such field)" },
  { name: 'no-spare', help: 'do not keep a loaded spare worker thread (saves one V8 heap; a dead worker is then replaced in ~1 s, not ms)' },
  { name: 'background-nice', arg: 'N', help: 'nice levels the config thread runs below the workers, so a config change yields a busy core to them (Linux; default 5, 0 = same priority)' },
  { name: 'rebuild-all', help: 'diagnostic: rebuild every worker component on every change, as Kong does' },
] as const satisfies readonly OptionSpec[];

type Spec = (typeof OPTIONS)[number];
/** What parseArgs gives for each option: string (list when `multiple`) or boolean. */
export type OptionValues = { [S in Spec as S['name']]?: S extends { arg: string } ? (S extends { multiple: true } ? string[] : string) : boolean };

/** The environment variable of option `name`. */
export function envName(name: string): string {
  return `SLUICE_${name.toUpperCase().replaceAll('-', '_')}`;
}

function usageLine(spec: OptionSpec): string {
  const flag = `  --${spec.name}${'arg' in spec ? ` ${spec.arg}` : ''}`;
  return `${flag.padEnd(24)}${flag.length >= 24 ? '   ' : ' '}${spec.help}`;
}

export const USAGE = `Usage: node runtime [options]
${(OPTIONS as readonly OptionSpec[]).map(usageLine).join('\n')}
  -h, --help             this text

Every option can be set in the environment instead: SLUICE_ and its name, upper case, dashes as
underscores (SLUICE_CONFIG, SLUICE_ADMIN_LISTEN, SLUICE_NO_SPARE=true); a flag wins. Kong's
KONG_DECLARATIVE_CONFIG, KONG_PROXY_LISTEN, KONG_ADMIN_LISTEN and KONG_STATUS_LISTEN are read too.`;

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** SLUICE_* values of the options not given as flags. An empty variable counts as unset. */
function envValues(env: NodeJS.ProcessEnv): Record<string, string | boolean | string[]> {
  const values: Record<string, string | boolean | string[]> = {};
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const variable = envName(spec.name);
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    if (!('arg' in spec)) {
      const word = raw.trim().toLowerCase();
      if (!TRUE.has(word) && !FALSE.has(word)) throw new SluiceError('SLUICE_ERR_OPTION_INVALID', `${variable}: expected true or false, got ${raw}`);
      values[spec.name] = TRUE.has(word);
    } else {
      values[spec.name] = spec.multiple === true ? [raw] : raw;
    }
  }
  return values;
}

/** One source of option values and how to name it in an error. */
interface Layer {
  values: Record<string, unknown>;
  source(name: string): string;
}

/**
 * Merges layers of option values, weakest first, and remembers where each value came from. A
 * layer that sets --proxy-listen also replaces the --host and --port of weaker layers (it names
 * both); within one layer --host and --port win over --proxy-listen (they are narrower).
 */
function merge(layers: Layer[]): { values: OptionValues; source(name: string): string } {
  const merged: Record<string, unknown> = {};
  const from = new Map<string, Layer>();
  for (const layer of layers) {
    if (layer.values['proxy-listen'] !== undefined) {
      delete merged.host;
      delete merged.port;
      delete merged['ssl-host'];
      delete merged['ssl-port'];
    }
    for (const [name, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      merged[name] = value;
      from.set(name, layer);
    }
  }
  return { values: merged as OptionValues, source: (name) => from.get(name)?.source(name) ?? `--${name}` };
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

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = {}): Options | 'help' {
  const { values: flags } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...Object.fromEntries((OPTIONS as readonly OptionSpec[]).map((spec) => [spec.name, { type: 'arg' in spec ? 'string' : 'boolean', multiple: spec.multiple ?? false }] as const)),
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (flags.help === true) return 'help';
  const { values, source } = merge([
    { values: kongValues(env), source: kongVariable },
    { values: envValues(env), source: envName },
    { values: flags, source: (name) => `--${name}` },
  ]);
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new Error(`${source('workers')}: expected 1..256, got ${values.workers}`);
  const proxyListen = values['proxy-listen'] === undefined ? null : parseProxyListen(values['proxy-listen'], source('proxy-listen'));
  if (proxyListen !== null && proxyListen.plain === null) {
    throw new SluiceError('SLUICE_ERR_OPTION_UNSUPPORTED', `${source('proxy-listen')}="${values['proxy-listen']}": no plain address is not supported (Sluice always has a plain HTTP proxy listener: add one, e.g. 0.0.0.0:8000)`);
  }
  const proxy = proxyListen?.plain ?? null;
  const admin = parseListen(values['admin-listen'] ?? '127.0.0.1:8001', source('admin-listen'))!;
  const options: Options = {
    config: values.config ?? null,
    proxyHost: values.host ?? proxy?.host ?? '0.0.0.0',
    proxyPort: values.port !== undefined ? parsePort(values.port, source('port')) : (proxy?.port ?? 8000),
    proxyBacklog: proxy?.backlog ?? null,
    adminHost: admin.host,
    adminPort: admin.port,
    adminBacklog: admin.backlog,
    statusListen: values['status-listen'] === undefined ? null : parseListen(values['status-listen'], source('status-listen'), true),
    workers,
    drainTimeoutMs: duration(values['drain-timeout'], 10_000, 0, '--drain-timeout'),
    drainIdleGraceMs: duration(values['drain-idle-grace'], 1000, 0, '--drain-idle-grace'),
    rebuildAll: values['rebuild-all'] ?? false,
    backgroundNice: whole(values['background-nice'], BACKGROUND_NICE_STEP, 0, 19, '--background-nice'),
    spare: !(values['no-spare'] ?? false),
    upstreamTls: { verify: values['upstream-tls-verify'] ?? false, trustedCa: trustedCa(values['upstream-trusted-ca']) },
    adminAllowHosts: list(values['admin-allow-host']).map(allowHost),
    adminAllowOrigins: list(values['admin-allow-origin']).map(allowOrigin),
    // SLUICE_ADMIN_TOKEN (like every option's variable) keeps the token out of `ps`.
    adminToken: values['admin-token'] ?? null,
    rateLimitSlots: rateLimitSlots(values['rate-limit-slots']),
    syslogSocket: values['syslog-socket'] ?? '/dev/log',
    gatewayHeaders: parseGatewayHeaders(values.headers ?? DEFAULT_HEADERS, values['headers-upstream'] ?? DEFAULT_HEADERS_UPSTREAM, source('headers'), source('headers-upstream')),
    clientTimeouts: {
      idleMs: duration(values['client-idle-timeout'], 60_000, 1, '--client-idle-timeout'),
      bodyMs: duration(values['client-body-timeout'], 60_000, 1, '--client-body-timeout'),
      sendMs: duration(values['client-send-timeout'], 60_000, 1, '--client-send-timeout'),
    },
    listenerLimits: listenerLimits(values),
    dns: parseDnsOptions(values),
    http2: {
      h2c: values.h2c ?? DEFAULT_HTTP2_SETTINGS.h2c,
      alpn: DEFAULT_HTTP2_SETTINGS.alpn,
      // nghttp2 takes up to 2^31 - 1; 0 would refuse every stream.
      maxConcurrentStreams: whole(values['h2-max-concurrent-streams'], DEFAULT_HTTP2_SETTINGS.maxConcurrentStreams, 1, 2 ** 31 - 1, '--h2-max-concurrent-streams'),
      maxResets: whole(values['h2-max-resets'], DEFAULT_HTTP2_SETTINGS.maxResets, 1, 2 ** 31 - 1, '--h2-max-resets'),
    },
    ssl: null,
  };
  options.ssl = sslOptions(values, source, options.proxyHost, proxyListen?.ssl ?? null);
  if (options.ssl !== null && options.ssl.port !== 0 && (options.ssl.port === options.proxyPort || options.ssl.port === options.adminPort)) {
    throw new Error(`${source('ssl-port')}: the TLS port must differ from the proxy and Admin API ports`);
  }
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

function sslOptions(values: OptionValues, source: (name: string) => string, proxyHost: string, listen: ListenAddress | null): SslOptions | null {
  const port = values['ssl-port'];
  if (port === 'off') return null;
  const certFile = values['ssl-cert'] ?? null;
  const keyFile = values['ssl-cert-key'] ?? null;
  // Kong: ssl_cert and ssl_cert_key go together.
  if ((certFile === null) !== (keyFile === null)) throw new Error(`${certFile === null ? source('ssl-cert-key') : source('ssl-cert')}: --ssl-cert and --ssl-cert-key go together`);
  return {
    host: values['ssl-host'] ?? listen?.host ?? proxyHost,
    port: port !== undefined ? parsePort(port, source('ssl-port')) : (listen?.port ?? 8443),
    backlog: listen?.backlog ?? null,
    certFile,
    keyFile,
    handshakeTimeoutMs: duration(values['ssl-handshake-timeout'], 60_000, 1, '--ssl-handshake-timeout'),
    // At least a second: each rotation rebuilds the default certificate's context on every worker.
    ticketRotationMs: duration(values['ssl-ticket-rotation'], 3_600_000, 1000, '--ssl-ticket-rotation'),
  };
}

/** The PEM of --upstream-trusted-ca, read at start so a missing or empty file stops the start. */
function trustedCa(file: string | undefined): string | null {
  if (file === undefined) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`--upstream-trusted-ca: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--upstream-trusted-ca: ${file} holds no PEM certificate`);
  return pem;
}
