// The auth plugins (basic-auth, acl, jwt, hmac-auth, key-auth) keep their instances — and the state on them (acl's verdict cache, jwt's parsed
// keys) — across a reconfigure that does not touch them: a service, a route and a consumer added.
// Through the worker's real data path (proxy-harness.ts) and a real upstream.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { JwtSecret, Snapshot } from '../../../config/types.ts';
import type { PluginInstance } from '../../../workers/plugins/types.ts';
import { keyOf } from '../../../workers/plugins/jwt/token.ts';
import { request } from '../../helpers/http.ts';
import { echoHandler, startUpstream } from '../../helpers/upstream.ts';
import { snapshotOf } from './helpers.ts';
import { keyPair, signToken } from './jwt/tokens.ts';
import { startProxy, type ProxyHarness } from './proxy-harness.ts';

const rsa = keyPair('rsa');

function doc(upstream: string, unrelated: boolean): Record<string, unknown> {
  return {
    services: [
      {
        name: 's',
        url: upstream,
        routes: [
          { name: 'basic', paths: ['/basic'], plugins: [{ name: 'basic-auth' }, { name: 'acl', config: { allow: ['admins'] } }] },
          { name: 'jwt', paths: ['/jwt'], plugins: [{ name: 'jwt' }] },
          { name: 'key', paths: ['/key'], plugins: [{ name: 'key-auth' }] },
          { name: 'hmac', paths: ['/hmac'], plugins: [{ name: 'hmac-auth' }] },
        ],
      },
      ...(unrelated ? [{ name: 'other', url: upstream, routes: [{ name: 'other', paths: ['/other'] }] }] : []),
    ],
    consumers: [
      { username: 'alice', basicauth_credentials: [{ username: 'alice', password: 'pw' }], acls: [{ group: 'admins' }], jwt_secrets: [{ key: 'alice-rsa', algorithm: 'RS256', rsa_public_key: rsa.publicPem }], keyauth_credentials: [{ key: 'k' }], hmacauth_credentials: [{ username: 'alice-hmac', secret: 'hs' }] },
      ...(unrelated ? [{ username: 'zed', keyauth_credentials: [{ key: 'zed-key' }] }] : []),
    ],
  };
}

function instances(proxy: ProxyHarness, snapshot: Snapshot): Map<string, PluginInstance | null> {
  const out = new Map<string, PluginInstance | null>();
  for (const plugin of Object.values(snapshot.entities.plugins)) {
    const entry = proxy.deps.instances.entry(plugin, snapshot.entityHashes.plugins[plugin.id]!, proxy.deps.registry.get(plugin.name)!, proxy.deps.env);
    out.set(plugin.name, entry.instance);
  }
  return out;
}

test('basic-auth, acl, jwt, hmac-auth and key-auth keep their instances and state across an unrelated reconfigure', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf(doc(upstream.url, false)));
  const token = signToken('RS256', { iss: 'alice-rsa' }, rsa.privateKey);
  const authorized = async (): Promise<void> => {
    assert.equal((await request(`${proxy.url}/basic`, { headers: { authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` } })).status, 200);
    assert.equal((await request(`${proxy.url}/jwt`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await request(`${proxy.url}/key?apikey=k`)).status, 200);
    const date = new Date().toUTCString();
    const signature = createHmac('sha256', 'hs').update(`date: ${date}`).digest('base64');
    const hmac = `hmac username="alice-hmac", algorithm="hmac-sha256", headers="date", signature="${signature}"`;
    assert.equal((await request(`${proxy.url}/hmac`, { headers: { date, authorization: hmac } })).status, 200);
  };
  await authorized();
  const before = instances(proxy, proxy.state.snapshot);
  for (const [name, instance] of before) assert.notEqual(instance, null, `${name} has an instance`);
  const secret = Object.values(proxy.state.snapshot.entities.credentials).find((c) => c.kind === 'jwt_secrets') as JwtSecret;
  const key = keyOf(secret, false, () => assert.fail('key refused'));
  const iterator = proxy.state.plugins;
  const created = proxy.deps.instances.created;

  proxy.install(snapshotOf(doc(upstream.url, true)));
  assert.equal(proxy.state.plugins, iterator, 'the plugins iterator was neither rebuilt nor updated');
  await authorized();
  assert.equal((await request(`${proxy.url}/other`)).status, 200);
  assert.equal(proxy.deps.instances.created, created, 'no instance made');
  assert.equal(proxy.deps.instances.closed, 0, 'none closed');
  const after = instances(proxy, proxy.state.snapshot);
  for (const [name, instance] of before) assert.equal(after.get(name), instance, `${name}: same instance`);
  const sameSecret = Object.values(proxy.state.snapshot.entities.credentials).find((c) => c.kind === 'jwt_secrets') as JwtSecret;
  assert.equal(sameSecret, secret, 'the credential object is kept though its group changed (zed brought a key)');
  assert.equal(keyOf(sameSecret, false, () => assert.fail('key refused')), key, 'the parsed key is reused, not imported again');
});
