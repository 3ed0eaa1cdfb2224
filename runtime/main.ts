// The primary thread: `node runtime`. Loads the config, starts the workers and the Admin API,
// reloads on file change / SIGHUP / POST /config, and drains on SIGTERM / SIGINT.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminGuard, isLoopback } from './admin/guard.ts';
import { createAdminHandler } from './admin/server.ts';
import { parseOptions, USAGE, type Options } from './cli.ts';
import { ConfigStore } from './config-store.ts';
import { watchConfigFile } from './config-watch.ts';
import { startEchoUpstream } from './echo-upstream.ts';
import { MetricsCollector } from './metrics/collector.ts';
import { createStatusHandler } from './metrics/status.ts';
import { TaskPool } from './pool.ts';
import { createCounterMemory } from './protocol/counters.ts';
import { createLogger } from './protocol/log.ts';
import { createVersionMemory } from './protocol/shared-memory.ts';
import { createUpstreamMemory, UpstreamMemory } from './protocol/upstream-memory.ts';
import { createDnsMemory, DnsMemory } from './protocol/dns-memory.ts';
import { registerDnsMetrics } from './metrics/dns.ts';
import { TargetSlots } from './health/slots.ts';
import { reusePortSupported, workerPlan } from './reuse-port.ts';
import { HealthThread } from './health/thread.ts';
import { HealthView } from './health/view.ts';
import { Supervisor } from './supervisor.ts';
import { tlsListenerSettings } from './tls/default-certificate.ts';

const DEFAULT_CONFIG = new URL('../config/default.yaml', import.meta.url);
const { version: VERSION } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

// `node runtime check FILE`: validate a declarative file and exit, nothing started (runtime/check.ts).
if (process.argv[2] === 'check') {
  const { runCheck } = await import('./check.ts');
  process.exit(await runCheck(process.argv.slice(3)));
}

let parsed: Options | 'help';
try {
  parsed = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  const { code, message } = error as Error & { code?: string };
  // An option Sluice refuses is one line with its code; a malformed command line gets the usage too.
  if (code?.startsWith('SLUICE_ERR_') === true) console.error(`${message} (${code})`);
  else console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const options: Options = parsed;

const log = createLogger();
const pool = new TaskPool(undefined, options.backgroundNice);
const store = new ConfigStore(pool, log);
const configFile = options.config;
const configText = await readFile(configFile ?? DEFAULT_CONFIG, 'utf8').catch((error: NodeJS.ErrnoException) => {
  log.fatal({ file: configFile, code: error.code }, `cannot read config file: ${error.message}`);
  process.exit(1);
});
const first = await store.load({ text: configText, source: configFile ?? 'embedded default' });
if (first.status !== 'applied') {
  log.fatal({ file: configFile, errors: first.status === 'invalid' ? first.errors : undefined }, 'config is invalid; nothing to serve');
  await pool.close();
  process.exit(1);
}

// Every target's shared slot is assigned before any worker sees the config that names it.
const targetSlots = new TargetSlots(new UpstreamMemory(createUpstreamMemory()));
targetSlots.sync(store.snapshot);
// The health-check thread starts beside the workers, not before them: probes can wait a moment,
// serving cannot. It takes the config it was given meanwhile once it is up.
const dnsMemory = createDnsMemory();
const health = new HealthThread({ upstreams: targetSlots.memory.view.buffer as SharedArrayBuffer, dns: dnsMemory, dnsSettings: options.dns }, log);
health.update(store.snapshot);
health.start().catch((error: unknown) => log.error({ err: error }, 'health-check thread did not start'));

// With --port 0 the primary picks the port: each worker binding port 0 would get a different one.
const proxyPort = options.proxyPort === 0 ? await freePort(options.proxyHost) : options.proxyPort;
const proxyUrl = `http://${urlHost(options.proxyHost)}:${proxyPort}`;
const reusePort = await reusePortSupported(options.proxyHost);
const plan = workerPlan(options.workers, reusePort);
const sslPort = options.ssl === null ? 0 : options.ssl.port === 0 ? await freePort(options.ssl.host) : options.ssl.port;
const tls = options.ssl === null ? null : await tlsListenerSettings(options.ssl, sslPort, log).catch((error: unknown) => {
  log.fatal({ err: error }, 'TLS listener cannot start');
  process.exit(1);
});
const sslUrl = options.ssl === null ? null : `https://${urlHost(options.ssl.host)}:${sslPort}`;
if (plan.note !== null) log.warn({ platform: process.platform, workers: plan.workers }, plan.note);
const supervisor = new Supervisor(
  {
    boot: {
      workerCount: plan.workers,
      proxyHost: options.proxyHost,
      proxyPort,
      reusePort,
      ...(options.proxyBacklog === null ? {} : { proxyBacklog: options.proxyBacklog }),
      versions: createVersionMemory(),
      counters: createCounterMemory(options.rateLimitSlots),
      upstreams: targetSlots.memory.view.buffer as SharedArrayBuffer,
      dns: dnsMemory,
      rebuildAll: options.rebuildAll,
      clientTimeouts: options.clientTimeouts,
      upstreamTls: options.upstreamTls,
      listenerLimits: options.listenerLimits,
      syslogSocket: options.syslogSocket,
      gatewayHeaders: { ...options.gatewayHeaders, serverToken: `sluice/${VERSION}` },
      http2: options.http2,
      tls,
    },
    spare: options.spare,
    snapshot: () => store.snapshot,
  },
  log,
);
supervisor.versions.publish(store.snapshot.version);
const healthView = new HealthView(targetSlots, new DnsMemory(dnsMemory));
const metrics = new MetricsCollector({ supervisor, snapshot: () => store.snapshot, pool, version: VERSION, counters: supervisor.boot.counters, health: healthView });
registerDnsMetrics(metrics.primary.registry, new DnsMemory(dnsMemory));

// Every Admin request passes the guard (Host, Origin, token) before any route; see admin/guard.ts.
const adminGuard = new AdminGuard({ listenHosts: [options.adminHost], allowHosts: options.adminAllowHosts, allowOrigins: options.adminAllowOrigins, token: options.adminToken });
const adminServer = createServer(adminGuard.wrap(createAdminHandler({ store, supervisor, log, version: VERSION, proxyUrl, metrics, health: healthView, revealKeys: options.adminToken !== null })));
const adminAddress = await listen(adminServer, options.adminHost, options.adminPort, options.adminBacklog);
adminGuard.allowListenAddress(adminAddress.address);
if (options.adminToken === null && !isLoopback(adminAddress.address)) log.warn({ admin: adminAddress.address }, 'Admin API listens beyond loopback without --admin-token');
const adminUrl = `http://${urlHost(adminAddress.address)}:${adminAddress.port}`;

// Up before the workers: until they are ready /status/ready answers 503, as a probe expects.
let statusServer: Server | null = null;
if (options.statusListen !== null) {
  statusServer = createServer(adminGuard.wrapStatus(createStatusHandler(metrics, supervisor, log)));
  const statusAddress = await listen(statusServer, options.statusListen.host, options.statusListen.port, options.statusListen.backlog);
  log.info({ status: `http://${urlHost(statusAddress.address)}:${statusAddress.port}` }, 'status listener ready');
}

let echo: Server | null = null;
if (configFile === null) echo = await startEchoUpstream({ version: VERSION, adminUrl, snapshot: () => store.snapshot });
store.onChange = (delta, snapshot) => {
  // Walks every target: only when targets changed (a route change must not cost O(targets) here).
  if (delta.upserts.targets !== undefined || delta.removes.targets !== undefined) targetSlots.sync(snapshot);
  health.update(snapshot);
  supervisor.broadcast(delta, snapshot);
  // The echo upstream belongs to the embedded default only.
  if (echo !== null && store.source !== 'embedded default') {
    echo.close();
    echo = null;
  }
};

await supervisor.start();
log.info({ proxy: proxyUrl, ...(sslUrl === null ? {} : { proxy_ssl: sslUrl }), admin: adminUrl, workers: plan.workers, config: configFile ?? 'embedded default', version: store.snapshot.version }, 'sluice ready');

const reload = (text: string, source: string): void => {
  store.load({ text, source }).catch((error: unknown) => log.error({ err: error, source }, 'config reload failed'));
};
const watcher = configFile === null ? null : watchConfigFile(configFile, configText, (text) => reload(text, 'file watch'), (error) => log.warn({ err: error }, 'config watch error'));
process.on('SIGHUP', () => {
  if (configFile === null) return log.info('SIGHUP: no --config file to reload');
  readFile(configFile, 'utf8').then(
    (text) => reload(text, 'SIGHUP'),
    (error: unknown) => log.error({ err: error }, 'SIGHUP: cannot read config file'),
  );
});

// logrotate's postrotate signal: workers own the log files (file-log), so they are told to reopen.
process.on('SIGUSR1', () => log.info({ workers: supervisor.reopenLogs() }, 'SIGUSR1: reopening log files'));

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  log.info({ signal, drain_timeout_ms: options.drainTimeoutMs, idle_grace_ms: options.drainIdleGraceMs }, 'draining');
  watcher?.close();
  await supervisor.drain(options.drainTimeoutMs, options.drainIdleGraceMs);
  await health.stop();
  adminServer.close();
  statusServer?.close();
  echo?.close();
  await pool.close();
  log.info('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

function listen(server: Server, host: string, port: number, backlog: number | null = null): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ...(backlog === null ? {} : { backlog }) }, () => resolve(server.address() as AddressInfo));
  });
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  const { port } = await listen(probe, host, 0);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
