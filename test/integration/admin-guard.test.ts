// The Admin API's Host, Origin and token checks on the real runtime (issue #12, item 12): every
// route answers through the guard, a rebound name or a foreign web page cannot load a config, and
// the status listener keeps serving probes that name it by any address.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig } from '../helpers/runtime.ts';

const CONFIG = JSON.stringify({
  _format_version: '3.0',
  services: [{ name: 'app', url: 'http://127.0.0.1:1', routes: [{ name: 'app', paths: ['/'] }] }],
  plugins: [{ name: 'request-termination', config: { status_code: 200, body: 'one' } }],
});
const NEXT = CONFIG.replace('"one"', '"two"');

/** Every Admin route, so a route that bypassed the guard would show. */
const ROUTES: Array<[string, string]> = [['GET', '/'], ['GET', '/status'], ['GET', '/workers'], ['GET', '/timers'], ['GET', '/config'], ['GET', '/metrics'], ['DELETE', '/workers/0'], ['POST', '/config'], ['GET', '/no-such-route']];

async function configVersion(admin: string, headers: Record<string, string> = {}): Promise<number> {
  return (await request(`${admin}/config`, { headers })).json<{ version: number }>().version;
}

test('Admin API: a foreign Host gets 421 and a foreign Origin 403 on every route; allowed ones pass; the status listener takes any Host', { timeout: 120_000 }, async (t) => {
  const file = await writeConfig(CONFIG, 'kong.json');
  const runtime = await startRuntime(['--config', file, '--workers', '1', '--admin-allow-host', 'admin.internal', '--admin-allow-origin', 'https://gui.example', '--status-listen', '127.0.0.1:0']);
  t.after(() => runtime.stop());
  const admin = runtime.admin;
  const port = new URL(admin).port;

  for (const [method, path] of ROUTES) {
    const body = method === 'POST' ? NEXT : undefined;
    const rebound = await request(`${admin}${path}`, { method, body, headers: { host: `rebound.example:${port}`, 'content-type': 'text/plain' } });
    assert.equal(rebound.status, 421, `${method} ${path} with a foreign Host`);
    const page = await request(`${admin}${path}`, { method, body, headers: { origin: 'https://evil.example', 'content-type': 'text/plain' } });
    assert.equal(page.status, 403, `${method} ${path} with a foreign Origin`);
  }
  // Nothing got through: the config and the worker are as they were.
  assert.equal(await configVersion(admin), 1);
  assert.equal((await request(`${admin}/workers`)).json<{ data: Array<{ generation: number }> }>().data[0]!.generation, 1);
  assert.match((await request(`${runtime.proxy}/`)).body, /one/);

  assert.equal((await request(`${admin}/status`, { headers: { host: `localhost:${port}` } })).status, 200);
  assert.equal((await request(`${admin}/status`, { headers: { host: `Admin.Internal:${port}` } })).status, 200);
  const fromGui = await request(`${admin}/config`, { method: 'POST', body: NEXT, headers: { origin: 'https://gui.example', 'content-type': 'application/json' } });
  assert.equal(fromGui.status, 201, fromGui.body);
  assert.equal(fromGui.headers['access-control-allow-origin'], 'https://gui.example');
  assert.equal(await configVersion(admin), 2);

  const status = String((await runtime.waitForLog((line) => line.msg === 'status listener ready')).status);
  for (const host of ['10.244.3.9:8100', 'sluice.monitoring.svc:8100']) {
    assert.equal((await request(`${status}/metrics`, { headers: { host } })).status, 200, host);
  }
  await runtime.waitForLog((line) => line.msg === 'sluice ready');
  assert.equal((await request(`${status}/status/ready`, { headers: { host: '10.244.3.9:8100' } })).status, 200);
  assert.equal((await request(`${status}/metrics`, { headers: { origin: 'https://evil.example' } })).status, 403);
});

test('Admin API token from SLUICE_ADMIN_TOKEN: every route needs it (Bearer or Kong-Admin-Token); the status listener does not', { timeout: 120_000 }, async (t) => {
  const file = await writeConfig(CONFIG, 'kong.json');
  const runtime = await startRuntime(['--config', file, '--workers', '1', '--status-listen', '127.0.0.1:0'], { env: { SLUICE_ADMIN_TOKEN: 'tok-3f9a' } });
  t.after(() => runtime.stop());
  const admin = runtime.admin;
  for (const [method, path] of ROUTES) {
    const body = method === 'POST' ? NEXT : undefined;
    for (const headers of [{}, { authorization: 'Bearer tok-3f9b' }, { 'kong-admin-token': 'tok-3f9' }, { authorization: 'Basic dG9rLTNmOWE=' }]) {
      const reply = await request(`${admin}${path}`, { method, body, headers: { ...headers, 'content-type': 'application/json' } });
      assert.equal(reply.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(reply.headers['www-authenticate'], 'Bearer realm="sluice-admin"');
    }
  }
  assert.equal(await configVersion(admin, { authorization: 'Bearer tok-3f9a' }), 1);
  assert.equal((await request(`${admin}/status`, { headers: { 'kong-admin-token': 'tok-3f9a' } })).status, 200);
  const posted = await request(`${admin}/config`, { method: 'POST', body: NEXT, headers: { authorization: 'Bearer tok-3f9a', 'content-type': 'application/json' } });
  assert.equal(posted.status, 201, posted.body);
  const status = String((await runtime.waitForLog((line) => line.msg === 'status listener ready')).status);
  assert.equal((await request(`${status}/metrics`)).status, 200);
  assert.equal((await request(`${status}/status/ready`)).status, 200);
});
