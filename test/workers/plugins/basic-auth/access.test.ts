// basic-auth through the real gateway and a real upstream: Kong's 401 (body, WWW-Authenticate with
// the realm), Authorization and Proxy-Authorization, hide_credentials, anonymous, the consumer
// headers (forged ones replaced), malformed and oversized credentials, pipelined requests.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { rawExchange } from '../../../helpers/raw-http.ts';
import { startAuthGateway, type AuthGateway } from '../auth-gateway.ts';
import { suiteCleanup } from '../helpers.ts';

const ANON = '7d1b2f0e-3a4c-4d5e-8f90-a1b2c3d4e5f6';

const CONFIG = `
_format_version: "3.0"
services:
  - name: s
    url: UPSTREAM_URL
    routes:
      - { name: plain, paths: [/plain] }
      - { name: hidden, paths: [/hidden] }
      - { name: anon, paths: [/anon] }
      - { name: anon-missing, paths: [/anon-missing] }
      - { name: realm, paths: [/realm] }
consumers:
  - username: alice
    custom_id: c-alice
    basicauth_credentials:
      - { username: alice-login, password: "s3cret:with:colons" }
  - username: bob
    basicauth_credentials:
      - { username: bob, password: hunter2 }
  - id: ${ANON}
    username: anonymous
plugins:
  - { name: basic-auth, route: plain }
  - { name: basic-auth, route: hidden, config: { hide_credentials: true } }
  - { name: basic-auth, route: anon, config: { anonymous: anonymous } }
  - { name: basic-auth, route: anon-missing, config: { anonymous: nobody } }
  - { name: basic-auth, route: realm, config: { realm: sluice } }
`;

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('basic-auth', () => {
  let gw: AuthGateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gw = await startAuthGateway(cleanup, CONFIG);
  });

  test('no credentials: 401 Unauthorized with Basic realm="service"', async () => {
    const reply = await gw.get('/plain');
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.json(), { message: 'Unauthorized' });
    assert.equal(reply.headers['www-authenticate'], 'Basic realm="service"');
    assert.equal((await gw.get('/realm')).headers['www-authenticate'], 'Basic realm="sluice"');
  });

  test('good credentials reach the upstream with the consumer headers; forged ones are replaced', async () => {
    const reply = await gw.get('/plain', { authorization: basic('alice-login', 's3cret:with:colons'), 'x-consumer-username': 'mallory', 'x-anonymous-consumer': 'true' });
    assert.equal(reply.status, 200);
    const headers = reply.upstream!.headers;
    assert.equal(headers['x-consumer-username'], 'alice');
    assert.equal(headers['x-consumer-custom-id'], 'c-alice');
    assert.match(headers['x-consumer-id']!, /^[0-9a-f-]{36}$/);
    assert.equal(headers['x-credential-identifier'], 'alice-login');
    assert.equal(headers['x-anonymous-consumer'], undefined);
    assert.equal(headers.authorization, basic('alice-login', 's3cret:with:colons'), 'kept without hide_credentials');
  });

  test('Proxy-Authorization is tried first, then Authorization', async () => {
    assert.equal((await gw.get('/plain', { 'proxy-authorization': basic('bob', 'hunter2') })).upstream!.headers['x-consumer-username'], 'bob');
    const both = await gw.get('/plain', { 'proxy-authorization': basic('nobody', 'x'), authorization: basic('bob', 'hunter2') });
    assert.equal(both.upstream!.headers['x-consumer-username'], 'bob', 'an unknown proxy user falls through to Authorization');
  });

  test('wrong password, unknown user, malformed headers: 401', async () => {
    for (const authorization of [
      basic('bob', 'hunter3'),
      basic('bob', ''),
      basic('carol', 'hunter2'),
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(':empty-user').toString('base64')}`,
      'Basic !!!not-base64!!!',
      'Bearer abc',
      'Basic',
    ]) {
      const reply = await gw.get('/plain', { authorization });
      assert.equal(reply.status, 401, authorization);
      assert.deepEqual(reply.json(), { message: 'Unauthorized' });
    }
  });

  test('hide_credentials: the upstream does not see Authorization', async () => {
    const reply = await gw.get('/hidden', { authorization: basic('bob', 'hunter2') });
    assert.equal(reply.status, 200);
    assert.equal(reply.upstream!.headers.authorization, undefined);
    assert.equal(reply.upstream!.headers['x-consumer-username'], 'bob');
  });

  test('anonymous: failed authentication proxies as the anonymous consumer; a missing one is a 500', async () => {
    const reply = await gw.get('/anon', { authorization: basic('bob', 'wrong') });
    assert.equal(reply.status, 200);
    assert.equal(reply.upstream!.headers['x-consumer-id'], ANON);
    assert.equal(reply.upstream!.headers['x-anonymous-consumer'], 'true');
    assert.equal(reply.upstream!.headers['x-credential-identifier'], undefined);
    const good = await gw.get('/anon', { authorization: basic('bob', 'hunter2') });
    assert.equal(good.upstream!.headers['x-consumer-username'], 'bob');
    assert.equal(good.upstream!.headers['x-anonymous-consumer'], undefined);
    const missing = await gw.get('/anon-missing');
    assert.equal(missing.status, 500);
    assert.deepEqual(missing.json(), { message: "anonymous consumer nobody is configured but doesn't exist" });
  });

  test('raw sockets: pipelined requests each get their own answer; an oversized credential is refused', async () => {
    const good = `GET /plain HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('bob', 'hunter2')}\r\n\r\n`;
    const bad = `GET /plain HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('bob', 'nope')}\r\n\r\n`;
    const { connection, responses } = await rawExchange(gw.proxy, good + bad + good, 3);
    connection.destroy();
    assert.deepEqual(responses.map((r) => r.status), [200, 401, 200]);
    const huge = `GET /plain HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${'A'.repeat(6000)}\r\n\r\n`;
    const answer = await rawExchange(gw.proxy, huge, 1);
    answer.connection.destroy();
    assert.equal(answer.responses[0]!.status, 401);
  });
});
