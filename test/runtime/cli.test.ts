// `node runtime`'s options from flags, SLUICE_* variables and Kong's KONG_* variables
// (runtime/cli.ts, runtime/kong-env.ts, runtime/listen-address.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envName, OPTIONS, parseOptions, USAGE, type Options } from '../../runtime/cli.ts';
import { parseListen } from '../../runtime/listen-address.ts';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): Options {
  const options = parseOptions(argv, env);
  assert.notEqual(options, 'help');
  return options as Options;
}

function refused(argv: string[], env: NodeJS.ProcessEnv, code: string): Error {
  let caught: unknown = null;
  try {
    parseOptions(argv, env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, 'expected a refusal');
  assert.equal((caught as Error & { code?: string }).code, code);
  // One line: it is printed as the whole diagnosis.
  assert.equal((caught as Error).message.includes('\n'), false);
  return caught as Error;
}

test('defaults with no flags and an empty environment', () => {
  const options = parse([]);
  assert.equal(options.config, null);
  assert.equal(options.proxyHost, '0.0.0.0');
  assert.equal(options.proxyPort, 8000);
  assert.equal(options.proxyBacklog, null);
  assert.deepEqual([options.adminHost, options.adminPort], ['127.0.0.1', 8001]);
  assert.equal(options.statusListen, null);
  assert.equal(options.drainTimeoutMs, 10_000);
  assert.equal(options.drainIdleGraceMs, 1000);
  assert.equal(options.spare, true);
  assert.equal(options.backgroundNice, 5);
});

test('--background-nice: 0..19 nice levels', () => {
  assert.equal(parse(['--background-nice', '0']).backgroundNice, 0);
  assert.equal(parse([], { SLUICE_BACKGROUND_NICE: '19' }).backgroundNice, 19);
  for (const bad of ['20', '-1', '2.5', 'low']) assert.throws(() => parseOptions([`--background-nice=${bad}`], {}), /--background-nice: expected a whole number 0\.\.19/);
});

test('every option in the table has a SLUICE_* variable, shown in the usage text', () => {
  for (const spec of OPTIONS) {
    assert.match(envName(spec.name), /^SLUICE_[A-Z0-9_]+$/);
    assert.ok(USAGE.includes(`--${spec.name}`), spec.name);
  }
  assert.equal(envName('admin-listen'), 'SLUICE_ADMIN_LISTEN');
  assert.equal(envName('config'), 'SLUICE_CONFIG');
});

test('each option read from its SLUICE_* variable', () => {
  const options = parse([], {
    SLUICE_CONFIG: '/etc/sluice/kong.yaml',
    SLUICE_ADMIN_LISTEN: '0.0.0.0:9001',
    SLUICE_STATUS_LISTEN: '0.0.0.0:8100',
    SLUICE_WORKERS: '3',
    SLUICE_DRAIN_TIMEOUT: '20000',
    SLUICE_DRAIN_IDLE_GRACE: '500',
    SLUICE_CLIENT_IDLE_TIMEOUT: '5000',
    SLUICE_CLIENT_BODY_TIMEOUT: '6000',
    SLUICE_NO_SPARE: 'true',
    SLUICE_REBUILD_ALL: '1',
    SLUICE_PORT: '9000',
    SLUICE_CLIENT_SEND_TIMEOUT: '7000',
    SLUICE_MAX_HEADER_FIELDS: '50',
    SLUICE_UNDERSCORE_HEADERS: 'reject',
    SLUICE_DNS_MAX_TTL: '60',
  });
  assert.equal(options.config, '/etc/sluice/kong.yaml');
  assert.deepEqual([options.adminHost, options.adminPort], ['0.0.0.0', 9001]);
  assert.deepEqual(options.statusListen, { host: '0.0.0.0', port: 8100, backlog: null });
  assert.equal(options.workers, 3);
  assert.equal(options.drainTimeoutMs, 20_000);
  assert.equal(options.drainIdleGraceMs, 500);
  assert.deepEqual(options.clientTimeouts, { idleMs: 5000, bodyMs: 6000, sendMs: 7000 });
  assert.equal(options.listenerLimits.maxHeaderFields, 50);
  assert.equal(options.listenerLimits.underscoreHeaders, 'reject');
  assert.equal(options.dns.maxTtl, 60);
  assert.equal(options.spare, false);
  assert.equal(options.rebuildAll, true);
  assert.equal(options.proxyPort, 9000);
});

test('a flag wins over its SLUICE_* variable, which wins over the Kong one', () => {
  const env = { KONG_ADMIN_LISTEN: '127.0.0.1:7001', SLUICE_ADMIN_LISTEN: '127.0.0.1:7002', SLUICE_WORKERS: '5', SLUICE_NO_SPARE: 'false' };
  assert.equal(parse([], env).adminPort, 7002);
  assert.equal(parse(['--admin-listen', '127.0.0.1:7003'], env).adminPort, 7003);
  assert.equal(parse([], { KONG_ADMIN_LISTEN: '127.0.0.1:7001' }).adminPort, 7001);
  assert.equal(parse(['--workers', '2'], env).workers, 2);
  assert.equal(parse([], env).spare, true);
  assert.equal(parse(['--no-spare'], env).spare, false);
  // An empty variable is unset (compose files write `NAME=` for "nothing").
  assert.equal(parse([], { SLUICE_WORKERS: '', SLUICE_ADMIN_LISTEN: '' }).adminPort, 8001);
});

test('proxy address: --proxy-listen, then --host/--port within the same layer; a stronger layer replaces both', () => {
  assert.deepEqual(pick(parse(['--proxy-listen', '127.0.0.2:9000'])), ['127.0.0.2', 9000]);
  assert.deepEqual(pick(parse(['--proxy-listen', '127.0.0.2:9000', '--port', '9001'])), ['127.0.0.2', 9001]);
  // SLUICE_PORT from the environment does not override a --proxy-listen flag.
  assert.deepEqual(pick(parse(['--proxy-listen', '127.0.0.2:9000'], { SLUICE_PORT: '7000' })), ['127.0.0.2', 9000]);
  // ...but a --port flag overrides the port of KONG_PROXY_LISTEN.
  assert.deepEqual(pick(parse(['--port', '9002'], { KONG_PROXY_LISTEN: '0.0.0.0:8000' })), ['0.0.0.0', 9002]);
  assert.deepEqual(pick(parse([], { KONG_PROXY_LISTEN: '[::]:8000 reuseport backlog=16384' })), ['::', 8000]);
  assert.equal(parse([], { KONG_PROXY_LISTEN: '0.0.0.0:8000 reuseport backlog=16384' }).proxyBacklog, 16384);
});

function pick(options: Options): [string, number] {
  return [options.proxyHost, options.proxyPort];
}

test("Kong's variables: declarative config, the three listeners, status off, database off", () => {
  const options = parse([], {
    KONG_DATABASE: 'off',
    KONG_DECLARATIVE_CONFIG: '/kong/declarative/kong.yml',
    KONG_PROXY_LISTEN: '0.0.0.0:8000',
    KONG_ADMIN_LISTEN: '127.0.0.1:8001 reuseport backlog=16384',
    KONG_STATUS_LISTEN: '0.0.0.0:8100',
  });
  assert.equal(options.config, '/kong/declarative/kong.yml');
  assert.deepEqual(pick(options), ['0.0.0.0', 8000]);
  assert.deepEqual([options.adminHost, options.adminPort, options.adminBacklog], ['127.0.0.1', 8001, 16384]);
  assert.deepEqual(options.statusListen, { host: '0.0.0.0', port: 8100, backlog: null });
  assert.equal(parse([], { KONG_STATUS_LISTEN: 'off' }).statusListen, null);
});

test('what Sluice cannot do is refused in one line naming the variable: ssl off the proxy, http2, a second address, off, a database', () => {
  refused([], { KONG_PROXY_LISTEN: '0.0.0.0:8000, [::]:8000' }, 'SLUICE_ERR_OPTION_UNSUPPORTED');
  refused([], { KONG_PROXY_LISTEN: '0.0.0.0:8000, 0.0.0.0:8443 ssl, 0.0.0.0:9443 ssl' }, 'SLUICE_ERR_OPTION_UNSUPPORTED');
  // Only TLS: Sluice always has a plain listener, and says so rather than opening one unasked.
  assert.match(refused([], { KONG_PROXY_LISTEN: '0.0.0.0:8443 ssl' }, 'SLUICE_ERR_OPTION_UNSUPPORTED').message, /^KONG_PROXY_LISTEN=.*no plain address/);
  assert.match(refused([], { KONG_ADMIN_LISTEN: '127.0.0.1:8444 ssl' }, 'SLUICE_ERR_OPTION_UNSUPPORTED').message, /^KONG_ADMIN_LISTEN=.*`ssl`/);
  assert.match(refused([], { KONG_ADMIN_LISTEN: '127.0.0.1:8444 http2 ssl' }, 'SLUICE_ERR_OPTION_UNSUPPORTED').message, /^KONG_ADMIN_LISTEN=.*`http2`/);
  assert.match(refused([], { KONG_PROXY_LISTEN: '0.0.0.0:8000 proxy_protocol' }, 'SLUICE_ERR_OPTION_UNSUPPORTED').message, /proxy_protocol/);
  refused([], { KONG_PROXY_LISTEN: '0.0.0.0:8000 deferred' }, 'SLUICE_ERR_OPTION_UNSUPPORTED');
  refused([], { KONG_ADMIN_LISTEN: 'off' }, 'SLUICE_ERR_OPTION_UNSUPPORTED');
  refused([], { KONG_PROXY_LISTEN: 'off' }, 'SLUICE_ERR_OPTION_UNSUPPORTED');
  assert.match(refused([], { KONG_DATABASE: 'postgres' }, 'SLUICE_ERR_OPTION_UNSUPPORTED').message, /DB-less/);
  assert.match(refused([], { SLUICE_ADMIN_LISTEN: '127.0.0.1:99999' }, 'SLUICE_ERR_OPTION_INVALID').message, /^SLUICE_ADMIN_LISTEN/);
  assert.match(refused(['--status-listen', '0.0.0.0:8100 ssl'], {}, 'SLUICE_ERR_OPTION_UNSUPPORTED').message, /^--status-listen/);
  refused([], { SLUICE_NO_SPARE: 'maybe' }, 'SLUICE_ERR_OPTION_INVALID');
  // A Kong value the flags override is never looked at.
  assert.equal(parse(['--proxy-listen', '0.0.0.0:8000'], { KONG_PROXY_LISTEN: '0.0.0.0:8443 ssl' }).proxyPort, 8000);
});

test("the TLS listener: 8443 on the proxy address by default, Kong's `ssl` entry, --ssl-* flags and SLUICE_SSL_* variables, off", () => {
  const defaults = parse([]).ssl!;
  assert.deepEqual([defaults.host, defaults.port, defaults.certFile, defaults.keyFile, defaults.handshakeTimeoutMs, defaults.ticketRotationMs], ['0.0.0.0', 8443, null, null, 60_000, 3_600_000]);
  assert.equal(parse(['--host', '127.0.0.1']).ssl!.host, '127.0.0.1');
  const kong = parse([], { KONG_PROXY_LISTEN: '0.0.0.0:8000 reuseport backlog=16384, 127.0.0.2:9443 ssl' });
  assert.deepEqual([kong.proxyHost, kong.proxyPort, kong.ssl!.host, kong.ssl!.port, kong.ssl!.backlog], ['0.0.0.0', 8000, '127.0.0.2', 9443, null]);
  // A stronger layer's --ssl-port wins over the Kong entry; a stronger --proxy-listen replaces it.
  assert.equal(parse([], { KONG_PROXY_LISTEN: '0.0.0.0:8000, 0.0.0.0:9443 ssl', SLUICE_SSL_PORT: '10443' }).ssl!.port, 10443);
  assert.equal(parse(['--proxy-listen', '0.0.0.0:8000'], { SLUICE_SSL_PORT: '10443' }).ssl!.port, 8443);
  const env = parse([], { SLUICE_SSL_CERT: '/c.pem', SLUICE_SSL_CERT_KEY: '/k.pem', SLUICE_SSL_HANDSHAKE_TIMEOUT: '5000', SLUICE_SSL_TICKET_ROTATION: '60000', SLUICE_SSL_HOST: '::1' }).ssl!;
  assert.deepEqual([env.certFile, env.keyFile, env.handshakeTimeoutMs, env.ticketRotationMs, env.host], ['/c.pem', '/k.pem', 5000, 60_000, '::1']);
  assert.equal(parse(['--ssl-port', 'off']).ssl, null);
  assert.equal(parse([], { SLUICE_SSL_PORT: 'off' }).ssl, null);
  assert.throws(() => parse(['--ssl-cert', '/c.pem']), /go together/);
  assert.throws(() => parse(['--ssl-port', '8000']), /must differ/);
  assert.throws(() => parse(['--ssl-ticket-rotation', '10']), /--ssl-ticket-rotation/);
  // http2 on the TLS entry is not Sluice's yet: refused, not dropped.
  refused([], { KONG_PROXY_LISTEN: '0.0.0.0:8000, 0.0.0.0:8443 http2 ssl' }, 'SLUICE_ERR_OPTION_UNSUPPORTED');
});

test('listen syntax: IPv6 in brackets, bare port, backlog; malformed values refused', () => {
  assert.deepEqual(parseListen('[::1]:8001', 'x'), { host: '::1', port: 8001, backlog: null });
  assert.deepEqual(parseListen('8001', 'x'), { host: '127.0.0.1', port: 8001, backlog: null });
  assert.deepEqual(parseListen(' 0.0.0.0:8000  bind reuseport backlog=511 ', 'x'), { host: '0.0.0.0', port: 8000, backlog: 511 });
  for (const bad of ['', ' , ', '::1:8001', '0.0.0.0:', '0.0.0.0:http', '0.0.0.0:70000']) {
    assert.throws(() => parseListen(bad, 'x'), (error: Error & { code?: string }) => error.code === 'SLUICE_ERR_OPTION_INVALID', bad);
  }
  assert.throws(() => parseListen('0.0.0.0:8000 backlog=lots', 'x'), (error: Error & { code?: string }) => error.code === 'SLUICE_ERR_OPTION_UNSUPPORTED');
});

test("--headers / --headers-upstream: Kong's defaults, its names and groups, off; anything else refused naming its source", () => {
  const defaults = parse([]).gatewayHeaders;
  assert.deepEqual(defaults, { via: true, server: true, proxyLatency: true, upstreamLatency: true, responseLatency: true, upstreamStatus: false, requestId: true, upstreamRequestId: true, serverToken: 'sluice' });
  const chosen = parse(['--headers', 'x-kong-upstream-status,Server', '--headers-upstream', 'off']).gatewayHeaders;
  assert.deepEqual(chosen, { via: false, server: true, proxyLatency: false, upstreamLatency: false, responseLatency: false, upstreamStatus: true, requestId: false, upstreamRequestId: false, serverToken: 'sluice' });
  assert.equal(parse([], { KONG_HEADERS: 'latency_tokens' }).gatewayHeaders.responseLatency, true);
  assert.throws(() => parse(['--headers', 'X-Kong-Admin-Latency']), /^Error: --headers: unknown or unsupported header 'x-kong-admin-latency'/);
  assert.throws(() => parse([], { KONG_HEADERS: 'off, via' }), /^Error: KONG_HEADERS: 'off' cannot be combined/);
  assert.throws(() => parse(['--headers-upstream', 'via']), /--headers-upstream: unknown or unsupported header 'via'/);
});
