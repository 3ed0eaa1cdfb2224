// Config reloads from every source, and what a bad config does (issue #3).
import assert from 'node:assert/strict';
import { rename, symlink, mkdir, writeFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { waitFor } from '../helpers/wait.ts';

let upstream: Upstream;
let runtime: Runtime;
let file: string;

function config(routePath: string, extra = ''): string {
  return `
_format_version: "3.0"
services:
  - name: app
    url: ${upstream.url}
    routes:
      - name: app
        paths: [${routePath}]
${extra}`;
}

interface Status {
  configuration_hash: string;
  config_version: number;
  workers: Array<{ applied_version: number }>;
}

async function status(): Promise<Status> {
  return (await request(`${runtime.admin}/status`)).json<Status>();
}

async function post(body: string, query = '', type = 'application/x-yaml'): Promise<ReturnType<typeof request>> {
  return request(`${runtime.admin}/config${query}`, { method: 'POST', body, headers: { 'content-type': type } });
}

before(async () => {
  upstream = await startUpstream(echoHandler);
  file = await writeConfig(config('/one'));
  runtime = await startRuntime(['--config', file, '--workers', '2']);
});
after(async () => {
  await runtime.stop();
  await upstream.close();
});

test('POST /config answers 201 with the new version and hash; ?wait=1 once every worker applied it', async () => {
  const before = await status();
  const reply = await post(config('/two'), '?wait=1');
  assert.equal(reply.status, 201);
  const body = reply.json<{ version: number; configuration_hash: string; converged_ms: number }>();
  assert.equal(body.version, before.config_version + 1);
  assert.match(body.configuration_hash, /^[0-9a-f]{64}$/);
  assert.ok(body.converged_ms >= 0);
  const after = await status();
  assert.equal(after.configuration_hash, body.configuration_hash);
  assert.ok(after.workers.every((w) => w.applied_version === body.version));
  assert.equal((await request(`${runtime.proxy}/two`)).status, 200);
  assert.equal((await request(`${runtime.proxy}/one`)).status, 404);
  // Kong's shape: {"config": "<yaml>"}.
  const current = (await request(`${runtime.admin}/config`)).json<{ version: number; config: string }>();
  assert.equal(current.version, body.version);
  assert.deepEqual((parseYaml(current.config) as { routes: Array<{ paths: string[] }> }).routes[0]!.paths, ['/two']);
});

test('JSON bodies and Kong\'s {"config": "..."} form are accepted', async () => {
  const json = JSON.stringify({ _format_version: '3.0', services: [{ name: 'app', url: upstream.url, routes: [{ name: 'app', paths: ['/json'] }] }] });
  assert.equal((await post(json, '?wait=1', 'application/json')).status, 201);
  assert.equal((await request(`${runtime.proxy}/json`)).status, 200);
  assert.equal((await post(JSON.stringify({ config: config('/wrapped') }), '?wait=1', 'application/json')).status, 201);
  assert.equal((await request(`${runtime.proxy}/wrapped`)).status, 200);
});

test('?check_hash=1 answers 304 when the canonical hash did not change, even with keys reordered', async () => {
  await post(config('/same'), '?wait=1');
  const reordered = `
_format_version: "3.0"
services:
  - routes:
      - paths: [/same]
        name: app
    url: ${upstream.url}
    name: app
`;
  const reply = await post(reordered, '?check_hash=1');
  assert.equal(reply.status, 304);
});

test('an invalid config is rejected whole with every error, and the last good one keeps serving', async () => {
  await post(config('/good'), '?wait=1');
  const before = await status();
  const bad = `
_format_version: "3.0"
services:
  - name: app
    url: ${upstream.url}
    retries: -1
    routes:
      - name: app
        paths: [/good, "~/(unclosed"]
        bogus_field: 1
  - name: other
    host: example.com
routes:
  - name: dangling
    service: nope
    paths: [/x]
`;
  const reply = await post(bad);
  assert.equal(reply.status, 400);
  const body = reply.json<{ code: string; errors: Array<{ entity_type: string; field: string }> }>();
  assert.equal(body.code, 'SLUICE_ERR_CONFIG_INVALID');
  assert.ok(body.errors.length >= 4, JSON.stringify(body.errors));
  const types = new Set(body.errors.map((e) => e.entity_type));
  assert.ok(types.has('services') || types.has('service'));
  assert.ok(types.has('routes') || types.has('route'));
  await runtime.waitForLog((line) => line.msg === 'config rejected' && line.source === 'admin');
  const after = await status();
  assert.equal(after.configuration_hash, before.configuration_hash);
  assert.equal(after.config_version, before.config_version);
  assert.equal((await request(`${runtime.proxy}/good`)).status, 200);
  const unparsable = await post('services: [ {', '', 'application/x-yaml');
  assert.equal(unparsable.status, 400);
  assert.equal(unparsable.json<{ code: string }>().code, 'SLUICE_ERR_CONFIG_PARSE');
});

test('concurrent posts are serialized into consecutive versions', async () => {
  const start = (await status()).config_version;
  const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => post(config(`/concurrent-${n}`))));
  const versions = replies.filter((r) => r.status === 201).map((r) => r.json<{ version: number }>().version).sort((a, b) => a - b);
  for (const reply of replies) assert.ok(reply.status === 201 || reply.status === 429, `status ${reply.status}`);
  assert.deepEqual(versions, versions.map((_, i) => start + 1 + i));
});

test('SIGHUP and a change of the --config file reload it; so does an atomic rename', async () => {
  await writeFile(file, config('/from-sighup'));
  runtime.child.kill('SIGHUP');
  await runtime.waitForLog((line) => line.msg === 'config applied' && (line.source === 'SIGHUP' || line.source === 'file watch'));
  await waitFor(async () => (await request(`${runtime.proxy}/from-sighup`)).status === 200);

  const tmp = join(dirname(file), '.kong.yaml.tmp');
  await writeFile(tmp, config('/from-rename'));
  await rename(tmp, file);
  await waitFor(async () => (await request(`${runtime.proxy}/from-rename`)).status === 200);
});

test('a file written every 20 ms beside the config (an access log) does not hold a config change back', async () => {
  const neighbour = join(dirname(file), 'access.log');
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing && i < 500; i++) {
      await writeFile(neighbour, `line ${i}\n`, { flag: 'a' });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(file, config('/beside-a-log'));
    // The writer goes on for up to 10 s: the change must be served while it still writes.
    await waitFor(async () => (await request(`${runtime.proxy}/beside-a-log`)).status === 200, 4000);
  } finally {
    writing = false;
    await writer;
  }
});

test('a Kubernetes ConfigMap style symlink swap is picked up', async (t) => {
  // ConfigMap volumes: kong.yaml -> ..data/kong.yaml, ..data -> ..2026_v1; an update swaps ..data.
  const dir = dirname(await writeConfig('', 'placeholder'));
  await mkdir(join(dir, '..v1'));
  await mkdir(join(dir, '..v2'));
  await writeFile(join(dir, '..v1', 'kong.yaml'), config('/configmap-v1'));
  await writeFile(join(dir, '..v2', 'kong.yaml'), config('/configmap-v2'));
  await symlink('..v1', join(dir, '..data'));
  await symlink(join('..data', 'kong.yaml'), join(dir, 'kong.yaml'));
  const cm = await startRuntime(['--config', join(dir, 'kong.yaml'), '--workers', '1']);
  t.after(() => cm.stop());
  assert.equal((await request(`${cm.proxy}/configmap-v1`)).status, 200);
  await symlink('..v2', join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  await waitFor(async () => (await request(`${cm.proxy}/configmap-v2`)).status === 200);
  await unlink(join(dir, '..data')).catch(() => undefined);
});

test('50 reloads under steady traffic: a route present in every config never answers non-2xx', async () => {
  let stop = false;
  const statuses = new Map<number, number>();
  const drive = async (): Promise<void> => {
    while (!stop) {
      const reply = await request(`${runtime.proxy}/steady`);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    }
  };
  await post(config('/steady'), '?wait=1');
  const drivers = [drive(), drive(), drive(), drive()];
  for (let i = 0; i < 50; i++) {
    const reply = await post(config('/steady', `  - name: extra\n    url: ${upstream.url}\n    routes:\n      - name: extra\n        paths: [/extra-${i}]\n`), '?wait=1');
    assert.equal(reply.status, 201);
  }
  stop = true;
  await Promise.all(drivers);
  assert.deepEqual([...statuses.keys()], [200], JSON.stringify(Object.fromEntries(statuses)));
  assert.ok(statuses.get(200)! > 50);
});

test('the Admin API keeps answering while a 20,000-entity config loads', async () => {
  const services = [];
  for (let i = 0; i < 10_000; i++) services.push({ name: `s${i}`, url: upstream.url, routes: [{ name: `r${i}`, paths: [`/big/${i}`] }] });
  const body = JSON.stringify({ _format_version: '3.0', services });
  let loading = true;
  const load = post(body, '?wait=1', 'application/json').finally(() => (loading = false));
  let answeredDuringLoad = 0;
  while (loading) {
    const reply = await request(`${runtime.admin}/status`);
    assert.equal(reply.status, 200);
    if (loading) answeredDuringLoad++;
  }
  assert.equal((await load).status, 201);
  assert.ok(answeredDuringLoad >= 3, `only ${answeredDuringLoad} /status answers while loading`);
  assert.equal((await request(`${runtime.proxy}/big/9999`)).status, 200);
});
