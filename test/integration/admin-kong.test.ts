// Kong's Admin API on Sluice, as decK, Kong Manager and the Kong Ingress Controller use it: the
// read endpoints with Kong's JSON shapes and paging, 405 on writes, GET / and /status, and
// POST /config in each of Kong's body forms, with Kong's error shapes, its 201 body, GET /config
// as `{"config": "<yaml>"}`, and Sluice's dry run. Hostile bodies go over raw sockets.
import assert from 'node:assert/strict';
/* eslint-disable @typescript-eslint/no-explicit-any -- the assertions walk Kong's JSON bodies by path */
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { request } from '../helpers/http.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

let runtime: Runtime;
let upstream: Upstream;

const CONFIG = (extraRoute = '') => `
_format_version: "3.0"
services:
  - name: app
    url: http://127.0.0.1:PORT
    tags: [team-a]
    routes:
      - name: r0
        paths: [/r0]
        tags: [team-a, public]
      - name: r1
        paths: [/r1]
      - name: r2
        paths: [/r2]
${extraRoute}
    plugins:
      - name: correlation-id
upstreams:
  - name: pool.internal
    targets:
      - target: 127.0.0.1:9001
      - target: 127.0.0.1:9002
consumers:
  - username: alice
    custom_id: c-alice
    keyauth_credentials:
      - key: alice-key
    acls:
      - group: admins
plugins:
  - name: key-auth
    route: r1
`;

function config(extra = ''): string {
  return CONFIG(extra).replace('PORT', String(upstream.port));
}

before(async () => {
  upstream = await startUpstream(echoHandler);
  runtime = await startRuntime(['--config', await writeConfig(config()), '--workers', '1'], { timeoutMs: 120_000 });
});
after(async () => {
  await runtime.stop();
  await upstream.close();
});

async function get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
  const reply = await request(`${runtime.admin}${path}`);
  return { status: reply.status, body: reply.json<T>() };
}

describe('read endpoints', () => {
  test('GET /services and /services/{name|id}: Kong fields, Kong-only fields null', async () => {
    const list = await get<{ data: Array<Record<string, unknown>>; next: null }>('/services');
    assert.equal(list.status, 200);
    assert.equal(list.body.next, null);
    assert.equal(list.body.data.length, 1);
    const s = list.body.data[0]!;
    assert.equal(s['name'], 'app');
    assert.equal(s['port'], upstream.port);
    assert.equal(s['tls_verify'], null);
    assert.equal(typeof s['created_at'], 'number');
    assert.deepEqual((await get(`/services/${String(s['id'])}`)).body, s);
    assert.deepEqual((await get('/services/app')).body, s);
    assert.equal((await get('/services/nope')).status, 404);
  });

  test('paging: size, offset and next walk every route once', async () => {
    const seen: string[] = [];
    let path: string | null = '/routes?size=2';
    while (path !== null) {
      const page: { status: number; body: { data: Array<{ name: string }>; next: string | null } } = await get(path);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((r) => r.name));
      path = page.body.next;
    }
    assert.deepEqual(seen.sort(), ['r0', 'r1', 'r2']);
    assert.equal((await get('/routes?size=0')).status, 400);
    assert.equal((await get('/routes?size=1001')).status, 400);
    assert.equal((await get('/routes?offset=%%%')).status, 400);
    const tagged = await get<{ data: Array<{ name: string }> }>('/routes?tags=public');
    assert.deepEqual(tagged.body.data.map((r) => r.name), ['r0']);
  });

  test('nested lists: a service\'s routes and plugins, a route\'s plugins, plugins/enabled', async () => {
    assert.equal((await get<{ data: unknown[] }>('/services/app/routes')).body.data.length, 3);
    assert.deepEqual((await get<{ data: Array<{ name: string }> }>('/services/app/plugins')).body.data.map((p) => p.name), ['correlation-id']);
    assert.deepEqual((await get<{ data: Array<{ name: string }> }>('/routes/r1/plugins')).body.data.map((p) => p.name), ['key-auth']);
    const plugins = await get<{ data: Array<{ id: string }> }>('/plugins');
    assert.equal(plugins.body.data.length, 2);
    assert.equal((await get(`/plugins/${plugins.body.data[0]!.id}`)).status, 200);
    assert.ok((await get<{ enabled_plugins: string[] }>('/plugins/enabled')).body.enabled_plugins.includes('key-auth'));
  });

  test('consumers and credentials by username or custom_id; no "kind" leaks', async () => {
    const alice = (await get<{ id: string; username: string }>('/consumers/alice')).body;
    assert.equal(alice.username, 'alice');
    assert.equal((await get<{ id: string }>('/consumers/c-alice')).body.id, alice.id);
    const keys = (await get<{ data: Array<Record<string, unknown>> }>('/consumers/alice/key-auth')).body.data;
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!['key'], 'alice-key');
    assert.deepEqual(keys[0]!['consumer'], { id: alice.id });
    assert.equal('kind' in keys[0]!, false);
    assert.deepEqual((await get<{ data: Array<{ group: string }> }>('/consumers/alice/acls')).body.data.map((a) => a.group), ['admins']);
    assert.deepEqual((await get<{ data: unknown[] }>('/consumers/alice/hmac-auth')).body.data, []);
    assert.equal((await get('/consumers/nobody/key-auth')).status, 404);
  });

  test('upstreams and targets, certificates and snis (empty), tags, schemas, endpoints', async () => {
    assert.equal((await get<{ data: unknown[] }>('/upstreams/pool.internal/targets')).body.data.length, 2);
    assert.deepEqual((await get<{ data: unknown[] }>('/certificates')).body.data, []);
    assert.deepEqual((await get<{ data: unknown[] }>('/snis')).body.data, []);
    const tags = (await get<{ data: Array<{ entity_name: string; tag: string }> }>('/tags/team-a')).body.data;
    assert.deepEqual(tags.map((t) => t.entity_name).sort(), ['routes', 'services']);
    const schema = (await get<{ fields: Array<Record<string, { type: string; default?: unknown }>> }>('/schemas/services')).body;
    const retries = schema.fields.find((f) => 'retries' in f)!['retries']!;
    assert.equal(retries.default, 5);
    const plugin = (await get<{ fields: Array<Record<string, { type: string }>> }>('/schemas/plugins/key-auth')).body;
    assert.ok(plugin.fields.some((f) => f['config']?.type === 'record'));
    assert.equal((await get('/schemas/plugins/nope')).status, 404);
    const endpoints = (await get<{ data: string[] }>('/endpoints')).body.data;
    for (const p of ['/services/{service}/routes', '/consumers/{consumer}/key-auth', '/tags/{tag}', '/config']) assert.ok(endpoints.includes(p), p);
  });

  test("writes answer 405 with Kong's DB-less message", async () => {
    const reply = await request(`${runtime.admin}/services`, { method: 'POST', body: '{"name":"x","host":"x"}', headers: { 'content-type': 'application/json' } });
    assert.equal(reply.status, 405);
    assert.deepEqual(reply.json(), { message: "cannot create 'services' entities when not using a database", name: 'operation unsupported', code: 12 });
    assert.equal((await request(`${runtime.admin}/routes/r1`, { method: 'DELETE' })).status, 405);
    assert.equal((await request(`${runtime.admin}/consumers/alice/key-auth`, { method: 'PUT', body: '{}' })).status, 405);
  });

  test('GET / and /status carry Kong\'s fields beside Sluice\'s', async () => {
    const info = (await get<Record<string, any>>('/')).body;
    assert.equal(info['version'], '3.10.0');
    assert.equal(typeof info['sluice_version'], 'string');
    assert.equal(info['configuration']['database'], 'off');
    assert.ok('key-auth' in info['plugins']['available_on_server']);
    assert.deepEqual(info['plugins']['enabled_in_cluster'], ['correlation-id', 'key-auth']);
    const status = (await get<Record<string, any>>('/status')).body;
    assert.deepEqual(status['database'], { reachable: true });
    assert.equal(typeof status['server']['total_requests'], 'number');
    assert.equal(typeof status['configuration_hash'], 'string');
    assert.ok(Array.isArray(status['workers']));
  });
});

describe('POST /config', () => {
  async function post(body: string | Buffer, type: string, query = ''): Promise<{ status: number; body: Record<string, any> }> {
    const reply = await request(`${runtime.admin}/config${query}`, { method: 'POST', body: body as string, headers: { 'content-type': type } });
    return { status: reply.status, body: reply.status === 304 ? {} : reply.json() };
  }

  test('multipart form (curl -F config=@kong.yml), urlencoded, and {"config": {...}} all load', async () => {
    const boundary = 'sluiceboundary42';
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="config"; filename="kong.yml"\r\nContent-Type: application/octet-stream\r\n\r\n${config('      - name: form\n        paths: [/form]')}\r\n--${boundary}--\r\n`;
    const a = await post(multipart, `multipart/form-data; boundary=${boundary}`, '?wait=1');
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal((await request(`${runtime.proxy}/form`)).status, 200);
    // Kong's 201 body: the loaded entities by collection and id.
    assert.ok(Object.values(a.body['routes'] as Record<string, { name: string }>).some((r) => r.name === 'form'));
    const b = await post(`config=${encodeURIComponent(config('      - name: urlenc\n        paths: [/urlenc]'))}`, 'application/x-www-form-urlencoded', '?wait=1');
    assert.equal(b.status, 201);
    assert.equal((await request(`${runtime.proxy}/urlenc`)).status, 200);
    const object = parseYaml(config('      - name: object\n        paths: [/object]')) as object;
    const c = await post(JSON.stringify({ config: object }), 'application/json', '?wait=1');
    assert.equal(c.status, 201);
    assert.equal((await request(`${runtime.proxy}/object`)).status, 200);
    // A form without the field, or with a broken boundary, is a 400 and changes nothing.
    assert.equal((await post(`--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`)).status, 400);
    assert.equal((await post('garbage without boundary', 'multipart/form-data; boundary=zzz')).status, 400);
    assert.equal((await request(`${runtime.proxy}/object`)).status, 200);
  });

  test("errors: Kong's nested fields by default, flattened_errors on request", async () => {
    const bad = config().replace('paths: [/r2]', 'paths: [/r2]\n        bogus: 1').replace('username: alice', 'username: alice\n    nope: 2');
    const plain = await post(bad, 'application/x-yaml');
    assert.equal(plain.status, 400);
    assert.equal(plain.body['code'], 'SLUICE_ERR_CONFIG_INVALID');
    assert.equal(plain.body['fields']['services'][0]['routes'][2]['bogus'], 'unknown field');
    assert.equal(plain.body['fields']['consumers'][0]['nope'], 'unknown field');
    assert.equal(plain.body['flattened_errors'], undefined);
    const flat = await post(bad, 'application/x-yaml', '?flatten_errors=1');
    const entries = flat.body['flattened_errors'] as Array<Record<string, any>>;
    const route = entries.find((e) => e['entity_type'] === 'route')!;
    assert.equal(route['entity_name'], 'r2');
    assert.deepEqual(route['errors'], [{ type: 'field', field: 'bogus', message: 'unknown field' }]);
    assert.equal(route['entity']['bogus'], 1);
    const consumer = entries.find((e) => e['entity_type'] === 'consumer')!;
    assert.equal(consumer['entity_name'], 'alice');
    assert.equal('keyauth_credentials' in consumer['entity'], false, 'nested entities are their own entries');
  });

  test('GET /config is {"config": "<yaml>"} and loads back as the same config', async () => {
    const got = (await get<{ config: string; configuration_hash: string }>('/config')).body;
    assert.equal(typeof got.config, 'string');
    const again = await post(got.config, 'application/x-yaml', '?check_hash=1');
    assert.equal(again.status, 304, JSON.stringify(again.body));
  });

  test('dry_run: the delta and the rebuilds, nothing applied', async () => {
    const before = (await get<{ configuration_hash: string }>('/status')).body.configuration_hash;
    // The current config (earlier tests added routes) with one target moved.
    const current = (await get<{ config: string }>('/config')).body.config;
    const changed = current.replace('127.0.0.1:9002', '127.0.0.1:9003');
    assert.notEqual(changed, current);
    const dry = await post(changed, 'application/x-yaml', '?dry_run=1');
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal(dry.body['dry_run'], true);
    // The exported target keeps its id: one target changed, none added or removed.
    assert.deepEqual([dry.body['changes']['targets']['added'].length, dry.body['changes']['targets']['changed'].length, dry.body['changes']['targets']['removed'].length], [0, 1, 0]);
    assert.deepEqual(Object.keys(dry.body['changes']), ['targets']);
    assert.deepEqual(dry.body['rebuilds'], { router: false, plugins: false, credentials: false, balancers: ['pool.internal'] });
    assert.equal((await get<{ configuration_hash: string }>('/status')).body.configuration_hash, before);
    const invalid = await post('_format_version: "3.0"\nservices: [{name: x}]\n', 'application/x-yaml', '?dry_run=1');
    assert.equal(invalid.status, 400);
  });

  test('a plain body reaches the config thread as bytes: a UTF-8 character split across writes, blank bodies, the wrapper after whitespace', async () => {
    const yaml = config('      - name: "caf\u00e9-\u65e5\u672c"\n        paths: [/utf8]');
    const bytes = Buffer.from(yaml);
    const cut = bytes.indexOf(Buffer.from('\u00e9')) + 1; // between the two bytes of "é"
    const head = `POST /config?wait=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-yaml\r\nContent-Length: ${bytes.length}\r\n\r\n`;
    const { connection } = await rawExchange(runtime.admin, Buffer.concat([Buffer.from(head), bytes.subarray(0, cut)]), 0);
    connection.write(bytes.subarray(cut));
    const loaded = await connection.readResponse();
    connection.destroy();
    assert.equal(loaded.status, 201, loaded.body.toString());
    assert.equal((await request(`${runtime.proxy}/utf8`)).status, 200);
    const names = Object.values((JSON.parse(loaded.body.toString()) as { routes: Record<string, { name: string }> }).routes).map((r) => r.name);
    assert.ok(names.includes('caf\u00e9-\u65e5\u672c'), names.join(','));
    for (const blank of ['', ' \n\t\r\n ']) {
      const reply = await post(blank, 'application/json');
      assert.equal(reply.status, 400);
      assert.equal(reply.body['message'], 'expected a declarative configuration');
    }
    const wrapped = await post(`\n  ${JSON.stringify({ config: parseYaml(config('      - name: wrapped\n        paths: [/wrapped]')) as object })}`, 'application/json', '?wait=1');
    assert.equal(wrapped.status, 201, JSON.stringify(wrapped.body));
    assert.equal((await request(`${runtime.proxy}/wrapped`)).status, 200);
  });

  test('hostile bodies over a raw socket: oversized declared length, split multipart, pipelined after', async () => {
    const url = runtime.admin;
    const boundary = 'b0';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="config"\r\n\r\n_format_version: "3.0"\r\n--${boundary}--\r\n`;
    // A multipart body in two writes, then a pipelined GET on the same connection.
    const head = `POST /config?dry_run=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const { connection, responses } = await rawExchange(url, head + body.slice(0, 20), 0);
    connection.write(body.slice(20) + 'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const first = await connection.readResponse();
    const second = await connection.readResponse();
    connection.destroy();
    assert.equal(responses.length, 0);
    assert.equal(first.status, 200, first.body.toString());
    assert.equal(second.status, 200);
    // Over the 64 MiB limit by declaration: refused (413) without reading it all.
    const big = await rawExchange(url, `POST /config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-yaml\r\nContent-Length: ${70 * 1024 * 1024}\r\n\r\n${'x'.repeat(1024)}`, 0);
    big.connection.write(Buffer.alloc(65 * 1024 * 1024, 0x61));
    const tooLarge = await big.connection.readResponse({ timeoutMs: 60_000 });
    big.connection.destroy();
    assert.equal(tooLarge.status, 413);
  });
});
