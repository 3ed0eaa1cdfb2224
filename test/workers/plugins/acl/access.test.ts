// acl through the real gateway and a real upstream, behind key-auth: allow and deny lists, Kong's
// 401/403 bodies, X-Consumer-Groups sent upstream (or hidden), the anonymous consumer, and acl
// with no authentication in front of it.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startAuthGateway, type AuthGateway } from '../auth-gateway.ts';
import { suiteCleanup } from '../helpers.ts';

const CONFIG = `
_format_version: "3.0"
services:
  - name: s
    url: UPSTREAM_URL
    routes:
      - name: allow
        paths: [/allow]
        plugins:
          - { name: key-auth }
          - { name: acl, config: { allow: [admins, ops] } }
      - name: deny
        paths: [/deny]
        plugins:
          - { name: key-auth }
          - { name: acl, config: { deny: [banned] } }
      - name: hidden
        paths: [/hidden]
        plugins:
          - { name: key-auth }
          - { name: acl, config: { allow: [admins], hide_groups_header: true } }
      - name: anon
        paths: [/anon]
        plugins:
          - { name: key-auth, config: { anonymous: guest } }
          - { name: acl, config: { allow: [admins] } }
      - name: alone
        paths: [/alone]
        plugins:
          - { name: acl, config: { allow: [admins] } }
consumers:
  - username: alice
    keyauth_credentials: [{ key: alice-key }]
    acls: [{ group: admins }, { group: dev }]
  - username: bob
    keyauth_credentials: [{ key: bob-key }]
    acls: [{ group: banned }]
  - username: carol
    keyauth_credentials: [{ key: carol-key }]
  - username: guest
`;

const FORBIDDEN = { message: 'You cannot consume this service' };

describe('acl', () => {
  let gw: AuthGateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gw = await startAuthGateway(cleanup, CONFIG);
  });

  test('allow: a member passes with its groups upstream; a non-member and a consumer with no groups get 403', async () => {
    const alice = await gw.get('/allow', { apikey: 'alice-key', 'x-consumer-groups': 'forged' });
    assert.equal(alice.status, 200);
    assert.equal(alice.upstream!.headers['x-consumer-groups'], 'admins, dev');
    for (const key of ['bob-key', 'carol-key']) {
      const reply = await gw.get('/allow', { apikey: key });
      assert.equal(reply.status, 403, key);
      assert.deepEqual(reply.json(), FORBIDDEN);
    }
  });

  test('deny: members of a denied group get 403; others, groups or not, pass', async () => {
    assert.equal((await gw.get('/deny', { apikey: 'bob-key' })).status, 403);
    assert.equal((await gw.get('/deny', { apikey: 'alice-key' })).status, 200);
    const carol = await gw.get('/deny', { apikey: 'carol-key' });
    assert.equal(carol.status, 200);
    assert.equal(carol.upstream!.headers['x-consumer-groups'], '', 'Kong sends the (empty) group list');
  });

  test('hide_groups_header: no X-Consumer-Groups upstream', async () => {
    const reply = await gw.get('/hidden', { apikey: 'alice-key' });
    assert.equal(reply.status, 200);
    assert.equal(reply.upstream!.headers['x-consumer-groups'], undefined);
  });

  test('the anonymous consumer, with no groups, gets 401 (no credential); an admin passes', async () => {
    const anon = await gw.get('/anon');
    assert.equal(anon.status, 401);
    assert.deepEqual(anon.json(), { message: 'Unauthorized' });
    assert.equal((await gw.get('/anon', { apikey: 'alice-key' })).status, 200);
    assert.equal((await gw.get('/anon', { apikey: 'bob-key' })).status, 403);
  });

  test('acl with no authentication in front: 401', async () => {
    const reply = await gw.get('/alone', { apikey: 'alice-key' });
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.json(), { message: 'Unauthorized' });
  });
});
