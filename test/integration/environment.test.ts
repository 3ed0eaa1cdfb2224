// `node runtime` configured by its environment, as a container is (issue #19): SLUICE_* and
// Kong's KONG_* variables reach the running gateway; what Sluice cannot do stops it in one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { request } from '../helpers/http.ts';
import { RUNTIME, startRuntime, writeConfig } from '../helpers/runtime.ts';
import { echoHandler, startUpstream } from '../helpers/upstream.ts';

test('KONG_DECLARATIVE_CONFIG, KONG_STATUS_LISTEN and SLUICE_WORKERS configure a running gateway', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${upstream.url}
    routes:
      - name: app
        paths: [/app]
`);
  const runtime = await startRuntime([], { env: { KONG_DATABASE: 'off', KONG_DECLARATIVE_CONFIG: config, KONG_STATUS_LISTEN: '127.0.0.1:0', SLUICE_WORKERS: '1', SLUICE_NO_SPARE: 'true' } });
  t.after(() => runtime.stop());
  const info = (await request(`${runtime.admin}/`)).json<{ workers: number; config_source: string }>();
  assert.equal(info.workers, 1);
  assert.equal(info.config_source, config);
  assert.equal((await request(`${runtime.proxy}/app`)).status, 200);
  const status = await runtime.waitForLog((line) => line.msg === 'status listener ready');
  assert.equal((await request(`${String(status.status)}/status/ready`)).status, 200);
  assert.equal((await request(`${runtime.admin}/workers`)).json<{ spare: string }>().spare, 'none');
});

test("a Kong listener Sluice cannot serve (proxy_protocol) stops the start with one line and the code", () => {
  const result = spawnSync(process.execPath, [RUNTIME], { encoding: 'utf8', env: { ...process.env, KONG_PROXY_LISTEN: '0.0.0.0:8000, 0.0.0.0:8443 ssl proxy_protocol' }, timeout: 120_000 });
  assert.equal(result.status, 2);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^KONG_PROXY_LISTEN=.*`proxy_protocol`.*\(SLUICE_ERR_OPTION_UNSUPPORTED\)$/);
});
