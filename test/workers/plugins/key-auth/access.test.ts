// key-auth on real requests: where keys are read, the 401s Kong 3 answers, hide_credentials,
// anonymous, run_on_preflight, and the consumer headers sent upstream.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Snapshot } from '../../../../config/types.ts';
import { request } from '../../../helpers/http.ts';
import { snapshotOf, startGateway, suiteCleanup, type Gateway, type UpstreamEcho } from '../helpers.ts';

const ANON_ID = '5a1e0c2b-8d44-4a7c-9a51-0f6f9b1c2d3e';

const snapshot: Snapshot = snapshotOf({
  services: [
    {
      name: 's1',
      url: 'http://127.0.0.1:9',
      routes: [
        { name: 'plain', paths: ['/plain'] },
        { name: 'hidden', paths: ['/hidden'] },
        { name: 'anon', paths: ['/anon'] },
        { name: 'anon-id', paths: ['/anon-id'] },
        { name: 'anon-missing', paths: ['/anon-missing'] },
        { name: 'preflight', paths: ['/preflight'] },
        { name: 'realm', paths: ['/realm'] },
      ],
    },
  ],
  consumers: [
    { username: 'alice', custom_id: 'c-alice', keyauth_credentials: [{ key: 'alice-key' }] },
    { username: 'bob', keyauth_credentials: [{ key: 'bob-key' }] },
    { id: ANON_ID, username: 'anonymous-user' },
  ],
  plugins: [
    { name: 'key-auth', route: 'plain' },
    { name: 'key-auth', route: 'hidden', config: { hide_credentials: true, key_names: ['apikey', 'x-api-key'] } },
    { name: 'key-auth', route: 'anon', config: { anonymous: 'anonymous-user' } },
    { name: 'key-auth', route: 'anon-id', config: { anonymous: ANON_ID } },
    { name: 'key-auth', route: 'anon-missing', config: { anonymous: 'nobody' } },
    { name: 'key-auth', route: 'preflight', config: { run_on_preflight: false } },
    { name: 'key-auth', route: 'realm', config: { realm: 'sluice', key_in_query: false } },
  ],
});

const consumers = Object.values(snapshot.entities.consumers);
const alice = consumers.find((c) => c.username === 'alice')!;
const bob = consumers.find((c) => c.username === 'bob')!;
const aliceKey = Object.values(snapshot.entities.credentials).find((c) => c.key === 'alice-key')!;

describe('key-auth', () => {
  let gateway: Gateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gateway = await startGateway(cleanup, snapshot);
  });

  test('no key: 401 "No API key found in request" with WWW-Authenticate: Key', async () => {
    const reply = await request(`${gateway.url}/plain`);
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.json(), { message: 'No API key found in request' });
    assert.equal(reply.headers['www-authenticate'], 'Key');
    const empty = await request(`${gateway.url}/plain`, { headers: { apikey: '' } });
    assert.deepEqual(empty.json(), { message: 'No API key found in request' });
  });

  test('unknown key: 401 "Unauthorized" (Kong 3)', async () => {
    const reply = await request(`${gateway.url}/plain`, { headers: { apikey: 'nope' } });
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.json(), { message: 'Unauthorized' });
    assert.equal(reply.headers['www-authenticate'], 'Key');
  });

  test('key in a header: the consumer and Kong\'s consumer headers go upstream; forged ones are replaced', async () => {
    const reply = await request(`${gateway.url}/plain`, { headers: { apikey: 'alice-key', 'x-consumer-id': 'forged', 'x-anonymous-consumer': 'true' } });
    assert.equal(reply.status, 200);
    const echo = reply.json<UpstreamEcho>();
    assert.equal(echo.consumer, 'alice');
    assert.equal(echo.credential, aliceKey.id);
    assert.deepEqual(echo.headers, {
      'x-consumer-id': alice.id,
      'x-consumer-custom-id': 'c-alice',
      'x-consumer-username': 'alice',
      'x-credential-identifier': aliceKey.id,
      'x-anonymous-consumer': null,
    });
    assert.equal(echo.queryRemove, null, 'the key stays upstream without hide_credentials');
  });

  test('key in the query string; a consumer without custom_id clears that header', async () => {
    const reply = await request(`${gateway.url}/plain?apikey=bob-key&x=1`);
    assert.equal(reply.status, 200);
    const echo = reply.json<UpstreamEcho>();
    assert.equal(echo.consumer, 'bob');
    assert.equal(echo.headers['x-consumer-id'], bob.id);
    assert.equal(echo.headers['x-consumer-custom-id'], null);
  });

  test('duplicate keys: 401 "Duplicate API key found"', async () => {
    const header = await request(`${gateway.url}/plain`, { headers: { apikey: ['alice-key', 'bob-key'] } });
    assert.equal(header.status, 401);
    assert.deepEqual(header.json(), { message: 'Duplicate API key found' });
    const query = await request(`${gateway.url}/plain?apikey=alice-key&apikey=bob-key`);
    assert.deepEqual(query.json(), { message: 'Duplicate API key found' });
  });

  test('hide_credentials removes the key header and query argument upstream; later key_names are tried', async () => {
    const header = (await request(`${gateway.url}/hidden`, { headers: { apikey: 'alice-key' } })).json<UpstreamEcho>();
    assert.equal(header.consumer, 'alice');
    assert.equal(header.headers.apikey, null);
    const query = (await request(`${gateway.url}/hidden?x-api-key=bob-key&keep=1`)).json<UpstreamEcho>();
    assert.equal(query.consumer, 'bob');
    assert.deepEqual(query.queryRemove, ['x-api-key']);
    assert.equal(query.headers['x-api-key'], null);
  });

  test('anonymous (by username or id): no key or a bad key proceeds as the anonymous consumer', async () => {
    for (const path of ['/anon', '/anon-id']) {
      for (const headers of [{}, { apikey: 'nope' }]) {
        const reply = await request(`${gateway.url}${path}`, { headers });
        assert.equal(reply.status, 200, path);
        const echo = reply.json<UpstreamEcho>();
        assert.equal(echo.consumer, 'anonymous-user');
        assert.equal(echo.credential, null);
        assert.equal(echo.headers['x-consumer-id'], ANON_ID);
        assert.equal(echo.headers['x-anonymous-consumer'], 'true');
        assert.equal(echo.headers['x-credential-identifier'], null);
      }
    }
    const good = (await request(`${gateway.url}/anon`, { headers: { apikey: 'alice-key' } })).json<UpstreamEcho>();
    assert.equal(good.consumer, 'alice');
    assert.equal(good.headers['x-anonymous-consumer'], null);
  });

  test('an anonymous consumer that does not exist: 500 naming it', async () => {
    const reply = await request(`${gateway.url}/anon-missing`);
    assert.equal(reply.status, 500);
    assert.deepEqual(reply.json(), { message: "anonymous consumer nobody is configured but doesn't exist" });
  });

  test('run_on_preflight: false lets OPTIONS through unauthenticated', async () => {
    const preflight = await request(`${gateway.url}/preflight`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.json<UpstreamEcho>().consumer, null);
    assert.equal((await request(`${gateway.url}/preflight`)).status, 401);
    assert.equal((await request(`${gateway.url}/plain`, { method: 'OPTIONS' })).status, 401, 'run_on_preflight defaults to true');
  });

  test('realm and key_in_query: false', async () => {
    const reply = await request(`${gateway.url}/realm?apikey=alice-key`);
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.json(), { message: 'No API key found in request' });
    assert.equal(reply.headers['www-authenticate'], 'Key realm="sluice"');
    assert.equal((await request(`${gateway.url}/realm`, { headers: { apikey: 'alice-key' } })).status, 200);
  });
});
