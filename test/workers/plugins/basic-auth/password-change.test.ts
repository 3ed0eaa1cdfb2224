// basic-auth checks each request against the credential the current config holds
// (workers/plugins/basic-auth/handler.ts): through the real gateway, a changed password is refused
// and the new one accepted on the very next request, and a removed credential authenticates nobody.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startAuthGateway, type AuthGateway } from '../auth-gateway.ts';
import { suiteCleanup } from '../helpers.ts';

function config(password: string | null): string {
  return `
_format_version: "3.0"
services:
  - name: s
    url: UPSTREAM_URL
    routes:
      - { name: plain, paths: [/plain], plugins: [{ name: basic-auth }] }
consumers:
  - username: alice${password === null ? '' : `\n    basicauth_credentials:\n      - { username: alice, password: ${password} }`}
`;
}

const basic = (password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}` });

describe('basic-auth credential changes', () => {
  let gw: AuthGateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gw = await startAuthGateway(cleanup, config('old-password'));
  });

  test('a changed password counts from the next request; a removed credential authenticates nobody', async () => {
    assert.equal((await gw.get('/plain', basic('old-password'))).status, 200);
    assert.equal((await gw.get('/plain', basic('old-password'))).status, 200);
    await gw.reload(config('new-password'));
    const old = await gw.get('/plain', basic('old-password'));
    assert.equal(old.status, 401);
    assert.deepEqual(old.json(), { message: 'Unauthorized' });
    assert.equal((await gw.get('/plain', basic('new-password'))).upstream!.headers['x-consumer-username'], 'alice');
    await gw.reload(config(null));
    assert.equal((await gw.get('/plain', basic('new-password'))).status, 401);
  });
});
