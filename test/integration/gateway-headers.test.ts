// The headers the gateway adds, as Kong's `headers` / `headers_upstream` settings (defaults
// `server_tokens, latency_tokens, X-Kong-Request-Id` and `X-Kong-Request-Id`), through a real
// runtime and upstream: proxied answers, the gateway's own answers, the upstream request, the log
// entry's request.id, and the --headers / --headers-upstream lists.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';

const ID = /^[0-9a-f]{32}$/;
const MS = /^\d+$/;
const GATEWAY_HEADERS = ['via', 'server', 'x-kong-upstream-latency', 'x-kong-proxy-latency', 'x-kong-response-latency', 'x-kong-upstream-status', 'x-kong-request-id'];

let echo: Upstream;
let branded: Upstream;

function config(logFile: string): string {
  return `
_format_version: "3.0"
services:
  - name: echo
    url: ${echo.url}
    routes:
      - name: echo
        paths: [/echo]
        plugins:
          - name: file-log
            config: { path: ${JSON.stringify(logFile)} }
  - name: branded
    url: ${branded.url}
    routes:
      - name: branded
        paths: [/branded]
`;
}

async function start(args: string[]): Promise<{ runtime: Runtime; logFile: string }> {
  const file = await writeConfig('');
  const logFile = join(dirname(file), 'access.log');
  const configFile = await writeConfig(config(logFile));
  return { runtime: await startRuntime(['--config', configFile, '--workers', '1', ...args]), logFile };
}

function sent(reply: { body: string }): Record<string, string> {
  return (JSON.parse(reply.body) as { headers: Record<string, string> }).headers;
}

before(async () => {
  echo = await startUpstream(echoHandler);
  branded = await startUpstream((_req, res) => {
    res.writeHead(200, { server: 'upstream/1.0', via: '1.1 cache' });
    res.end('ok');
  });
});
after(async () => {
  await echo.close();
  await branded.close();
});

describe("Kong's defaults", () => {
  let runtime: Runtime;
  let logFile: string;
  before(async () => ({ runtime, logFile } = await start([])));
  after(() => runtime.stop());

  test('a proxied answer carries Via, Server, the two latencies and the request id the upstream and the log saw', async () => {
    const reply = await request(`${runtime.proxy}/echo`, { headers: { 'x-kong-request-id': 'from-the-client' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.via, '1.1 sluice');
    assert.match(String(reply.headers.server), /^sluice\/\d+\.\d+\.\d+$/);
    assert.match(String(reply.headers['x-kong-upstream-latency']), MS);
    assert.match(String(reply.headers['x-kong-proxy-latency']), MS);
    assert.equal(reply.headers['x-kong-response-latency'], undefined);
    assert.equal(reply.headers['x-kong-upstream-status'], undefined);
    const id = String(reply.headers['x-kong-request-id']);
    assert.match(id, ID);
    // The upstream got the same id, in place of the client's.
    assert.equal(sent(reply)['x-kong-request-id'], id);
    await waitFor(async () => (await readFile(logFile, 'utf8').catch(() => '')).includes(id));
    const entry = JSON.parse((await readFile(logFile, 'utf8')).trim().split('\n').at(-1)!) as { request: { id: string } };
    assert.equal(entry.request.id, id);
  });

  test("an upstream's own Server is kept and its Via is followed by the gateway's", async () => {
    const reply = await request(`${runtime.proxy}/branded`);
    assert.equal(reply.headers.server, 'upstream/1.0');
    assert.equal(reply.headers.via, '1.1 cache, 1.1 sluice');
  });

  test("the gateway's own answer carries Server, X-Kong-Response-Latency and a request id, no upstream latencies", async () => {
    const reply = await request(`${runtime.proxy}/no-such-route`);
    assert.equal(reply.status, 404);
    assert.match(String(reply.headers.server), /^sluice\//);
    assert.match(String(reply.headers['x-kong-response-latency']), MS);
    assert.match(String(reply.headers['x-kong-request-id']), ID);
    assert.equal(reply.headers['x-kong-upstream-latency'], undefined);
    assert.equal(reply.headers.via, undefined);
    const other = await request(`${runtime.proxy}/no-such-route`);
    assert.notEqual(other.headers['x-kong-request-id'], reply.headers['x-kong-request-id']);
  });
});

describe('--headers off --headers-upstream off', () => {
  let runtime: Runtime;
  before(async () => ({ runtime } = await start(['--headers', 'off', '--headers-upstream', 'off'])));
  after(() => runtime.stop());

  test('no gateway header anywhere; a client id goes upstream untouched', async () => {
    const reply = await request(`${runtime.proxy}/echo`, { headers: { 'x-kong-request-id': 'from-the-client' } });
    for (const name of GATEWAY_HEADERS) assert.equal(reply.headers[name], undefined, name);
    assert.equal(sent(reply)['x-kong-request-id'], 'from-the-client');
    const miss = await request(`${runtime.proxy}/no-such-route`);
    for (const name of GATEWAY_HEADERS) assert.equal(miss.headers[name], undefined, name);
  });
});

describe('a chosen list (KONG_HEADERS, as a Kong container sets it)', () => {
  let runtime: Runtime;
  before(async () => {
    const file = await writeConfig('');
    const configFile = await writeConfig(config(join(dirname(file), 'access.log')));
    runtime = await startRuntime(['--config', configFile, '--workers', '1'], { env: { KONG_HEADERS: 'X-Kong-Upstream-Status, Via', KONG_HEADERS_UPSTREAM: 'off' } });
  });
  after(() => runtime.stop());

  test('only the listed headers', async () => {
    const reply = await request(`${runtime.proxy}/echo`);
    assert.equal(reply.headers['x-kong-upstream-status'], '200');
    assert.equal(reply.headers.via, '1.1 sluice');
    for (const name of ['server', 'x-kong-upstream-latency', 'x-kong-proxy-latency', 'x-kong-request-id']) assert.equal(reply.headers[name], undefined, name);
    assert.equal(sent(reply)['x-kong-request-id'], undefined);
  });
});
