// Command-line options of `node runtime` (primary thread).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
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
  /** Keep one loaded spare worker thread to take a dead worker's slot at once. */
  spare: boolean;
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
  --no-spare             do not keep a loaded spare worker thread (saves one V8 heap; a dead worker is then replaced in ~1 s, not ms)
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

/** Milliseconds from a flag, within what the timer wheel takes. */
function duration(value: string | undefined, fallback: number, min: number, flag: string): number {
  if (value === undefined) return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < min || ms > 2 ** 31 - 1) throw new Error(`${flag}: expected whole milliseconds ${min}..${2 ** 31 - 1}, got ${value}`);
  return ms;
}

export function parseOptions(argv: string[]): Options | 'help' {
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
      'rebuild-all': { type: 'boolean' },
      'no-spare': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
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
    clientTimeouts: {
      idleMs: duration(values['client-idle-timeout'], 60_000, 1, '--client-idle-timeout'),
      bodyMs: duration(values['client-body-timeout'], 60_000, 1, '--client-body-timeout'),
    },
  };
  if (options.adminPort !== 0 && options.adminPort === options.proxyPort) throw new Error('--admin-listen must not use the proxy port');
  return options;
}
