// Proxying against real upstream sockets: paths, Host, bodies, 502 and 504 (issue #2).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { closedPort, echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

let runtime: Runtime;
let echo: Upstream;
let silent: Upstream;
let resetting: Upstream;

before(async () => {
  echo = await startUpstream(echoHandler);
  // Accepts the request and never answers: the read timeout must fire.
  silent = await startUpstream(() => undefined);
  // Reads the request, then resets the connection without answering.
  resetting = await startUpstream((req) => req.socket.resetAndDestroy());
  const down = await closedPort();
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: echo
    url: ${echo.url}/base
    routes:
      - name: stripped
        paths: [/api]
      - name: kept
        paths: [/keep]
        strip_path: false
      - name: host-preserved
        paths: [/preserve]
        preserve_host: true
  - name: down
    url: http://127.0.0.1:${down}
    retries: 2
    routes:
      - name: down
        paths: [/down]
  - name: reset
    url: ${resetting.url}
    routes:
      - name: reset
        paths: [/reset]
  - name: slow
    url: ${silent.url}
    read_timeout: 300
    routes:
      - name: slow
        paths: [/slow]
`);
  runtime = await startRuntime(['--config', config, '--workers', '2']);
});

after(async () => {
  await runtime.stop();
  await echo.close();
  await silent.close();
  await resetting.close();
});

test('strip_path removes the matched prefix and joins the service path', async () => {
  const body = (await request(`${runtime.proxy}/api/users/7?q=1`)).json<{ url: string }>();
  assert.equal(body.url, '/base/users/7?q=1');
});

test('strip_path false forwards the whole path after the service path', async () => {
  const body = (await request(`${runtime.proxy}/keep/x`)).json<{ url: string }>();
  assert.equal(body.url, '/base/keep/x');
});

test('Host is the upstream host unless preserve_host', async () => {
  const plain = (await request(`${runtime.proxy}/api`, { headers: { host: 'client.example' } })).json<{ headers: Record<string, string> }>();
  assert.equal(plain.headers.host, `127.0.0.1:${echo.port}`);
  const preserved = (await request(`${runtime.proxy}/preserve`, { headers: { host: 'client.example' } })).json<{ headers: Record<string, string> }>();
  assert.equal(preserved.headers.host, 'client.example');
});

test('request bodies stream to the upstream; hop-by-hop response headers are dropped', async () => {
  const payload = 'x'.repeat(256 * 1024);
  const reply = await request(`${runtime.proxy}/api/upload`, { method: 'POST', body: payload, headers: { 'content-type': 'text/plain' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.json<{ body: string }>().body.length, payload.length);
  assert.equal(reply.headers['x-upstream-hop'], undefined, 'named in the upstream Connection header');
  assert.equal(reply.headers['keep-alive'], undefined);
});

test('an upstream that refuses connections answers 502', async () => {
  const reply = await request(`${runtime.proxy}/down`);
  assert.equal(reply.status, 502);
  assert.deepEqual(reply.json(), { message: 'An invalid response was received from the upstream server' });
});

test('an upstream that resets the connection answers 502, and the worker keeps serving', async () => {
  const reply = await request(`${runtime.proxy}/reset`);
  assert.equal(reply.status, 502);
  assert.deepEqual(reply.json(), { message: 'An invalid response was received from the upstream server' });
  assert.equal((await request(`${runtime.proxy}/api`)).status, 200);
});

test('an upstream slower than read_timeout answers 504', async () => {
  const started = Date.now();
  const reply = await request(`${runtime.proxy}/slow`);
  assert.equal(reply.status, 504);
  assert.deepEqual(reply.json(), { message: 'The upstream server is timing out' });
  assert.ok(Date.now() - started >= 250, 'not before the timeout');
});

test('malformed request paths get 400, not a crash', async () => {
  const reply = await request(`${runtime.proxy}/api/%zz`);
  assert.equal(reply.status, 400);
  const after = await request(`${runtime.proxy}/api/ok`);
  assert.equal(after.status, 200);
});
