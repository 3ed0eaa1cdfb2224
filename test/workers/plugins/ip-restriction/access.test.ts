// ip-restriction through the worker's real data path (proxy-harness.ts) and a real upstream:
// the client address as the listener sees it (127.0.0.1, ::1, and ::ffff:127.0.0.1 on a
// dual-stack listener) against allow/deny lists of addresses and CIDR ranges, Kong's 403 body,
// and `status`/`message`.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { startProxy } from '../proxy-harness.ts';

async function status(t: TestContext, config: Record<string, unknown>, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/'] }] }], plugins: [{ name: 'ip-restriction', config }] }), [], host);
  const reply = await request(`${proxy.url}/x`);
  return { status: reply.status, body: reply.body };
}

describe('ip-restriction', () => {
  test('IPv4: allow by CIDR and by address; deny wins over allow; Kong 403 body names the address', async (t) => {
    assert.equal((await status(t, { allow: ['127.0.0.0/8'] })).status, 200);
    assert.equal((await status(t, { allow: ['127.0.0.1'] })).status, 200);
    const refused = await status(t, { allow: ['10.0.0.0/8', '192.168.1.1'] });
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.body), { message: 'IP address not allowed: 127.0.0.1' });
    assert.equal((await status(t, { deny: ['127.0.0.0/24'] })).status, 403);
    assert.equal((await status(t, { deny: ['127.0.1.0/24'] })).status, 200);
    assert.equal((await status(t, { allow: ['127.0.0.0/8'], deny: ['127.0.0.1/32'] })).status, 403, 'deny is checked first');
    assert.equal((await status(t, { allow: [], deny: ['10.0.0.1'] })).status, 200, 'an empty allow list lets everyone through');
  });

  test('status and message replace the defaults', async (t) => {
    const refused = await status(t, { deny: ['127.0.0.1'], status: 401, message: 'go away' });
    assert.equal(refused.status, 401);
    assert.deepEqual(JSON.parse(refused.body), { message: 'go away' });
  });

  test('IPv6 clients against IPv6 ranges', async (t) => {
    assert.equal((await status(t, { allow: ['::1/128'] }, '::1')).status, 200);
    assert.equal((await status(t, { allow: ['::/127'] }, '::1')).status, 200);
    const refused = await status(t, { allow: ['2001:db8::/32'] }, '::1');
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.body), { message: 'IP address not allowed: ::1' });
    assert.equal((await status(t, { deny: ['::1'] }, '::1')).status, 403);
    assert.equal((await status(t, { allow: ['127.0.0.1'] }, '::1')).status, 403, 'an IPv4 rule does not match an IPv6 client');
  });

  test('an IPv4 client on a dual-stack listener (::ffff:127.0.0.1) matches IPv4 rules', async (t) => {
    assert.equal((await status(t, { allow: ['127.0.0.0/8'] }, '::')).status, 200);
    assert.equal((await status(t, { deny: ['127.0.0.1'] }, '::')).status, 403);
    assert.equal((await status(t, { allow: ['10.0.0.0/8'] }, '::')).status, 403);
  });
});
