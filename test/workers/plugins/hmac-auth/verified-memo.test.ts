// hmac-auth remembers signatures that verified (workers/plugins/hmac-auth/handler.ts): through the
// real gateway, a repeated signed request is still checked for its clock skew, and once the secret
// changes, the credential is removed or moves to another consumer, the remembered verification no
// longer counts — the very next request gets the answer a fresh check gives.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { startAuthGateway, type AuthGateway } from '../auth-gateway.ts';
import { suiteCleanup } from '../helpers.ts';

function config(credentials: { alice?: string; bob?: string }): string {
  const creds = (secret: string | undefined): string => (secret === undefined ? '' : `\n    hmacauth_credentials:\n      - { username: api-user, secret: ${secret} }`);
  return `
_format_version: "3.0"
services:
  - name: s
    url: UPSTREAM_URL
    routes:
      - { name: signed, paths: [/signed], plugins: [{ name: hmac-auth }] }
      - { name: skew, paths: [/skew], plugins: [{ name: hmac-auth, config: { clock_skew: 2 } }] }
consumers:
  - username: alice${creds(credentials.alice)}
  - username: bob${creds(credentials.bob)}
`;
}

function signed(path: string, secret: string, date: string): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`date: ${date}\n@request-target: get ${path}`).digest('base64');
  return { date, authorization: `hmac username="api-user", algorithm="hmac-sha256", headers="date @request-target", signature="${signature}"` };
}

describe('hmac-auth verified signatures', () => {
  let gw: AuthGateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gw = await startAuthGateway(cleanup, config({ alice: 'first-secret' }));
  });

  test('a repeated signature is still refused once its Date leaves the clock skew', async () => {
    const headers = signed('/skew', 'first-secret', new Date(Date.now() + 1000).toUTCString());
    assert.equal((await gw.get('/skew', headers)).status, 200);
    assert.equal((await gw.get('/skew', headers)).status, 200, 'again, from the remembered verification');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const late = await gw.get('/skew', headers);
    assert.equal(late.status, 401);
    assert.deepEqual(late.json(), { message: 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication' });
  });

  test('a changed secret, a removed credential, a credential moved to another consumer: answered as a fresh check at once', async () => {
    const headers = signed('/signed', 'first-secret', new Date().toUTCString());
    for (let i = 0; i < 3; i++) {
      const ok = await gw.get('/signed', headers);
      assert.equal(ok.status, 200);
      assert.equal(ok.upstream!.headers['x-consumer-username'], 'alice');
    }
    await gw.reload(config({ alice: 'second-secret' }));
    const changed = await gw.get('/signed', headers);
    assert.equal(changed.status, 401, 'the secret changed: the remembered signature no longer counts');
    assert.deepEqual(changed.json(), { message: 'HMAC signature does not match' });
    assert.equal((await gw.get('/signed', signed('/signed', 'second-secret', headers.date!))).status, 200, 'the new secret signs');

    await gw.reload(config({}));
    const removed = await gw.get('/signed', signed('/signed', 'second-secret', headers.date!));
    assert.equal(removed.status, 401, 'the credential was removed');
    assert.deepEqual(removed.json(), { message: 'HMAC signature cannot be verified' });

    await gw.reload(config({ alice: 'first-secret' }));
    assert.equal((await gw.get('/signed', headers)).upstream!.headers['x-consumer-username'], 'alice');
    await gw.reload(config({ bob: 'first-secret' }));
    const moved = await gw.get('/signed', headers);
    assert.equal(moved.status, 200);
    assert.equal(moved.upstream!.headers['x-consumer-username'], 'bob', 'the same username and secret now belong to bob');
  });
});
