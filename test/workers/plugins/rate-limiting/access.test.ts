// rate-limiting on real requests: limits per window, Kong 3's headers, 429 + Retry-After, what is
// counted (limit_by), and counters that survive reconfigures. Count-exact tests use day windows
// so that no window ends mid-test (short of UTC midnight); the second window test aligns itself.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request, type Reply } from '../../../helpers/http.ts';
import { snapshotOf, startGateway } from '../helpers.ts';

const service = (routes: string[]) => [{ name: 's1', url: 'http://127.0.0.1:9', routes: routes.map((name) => ({ name, paths: [`/${name}`] })) }];

function rateHeaders(reply: Reply): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of Object.keys(reply.headers)) if (name.includes('ratelimit') || name === 'retry-after') out[name] = reply.headers[name] as string;
  return out;
}

describe('rate-limiting', () => {
  test('allows `limit` requests per window, then 429 with Retry-After; headers as Kong 3', async (t) => {
    const gateway = await startGateway(t, snapshotOf({ services: service(['r']), plugins: [{ name: 'rate-limiting', config: { day: 3 } }] }));
    for (let i = 1; i <= 3; i++) {
      const reply = await request(`${gateway.url}/r`);
      assert.equal(reply.status, 200);
      const headers = rateHeaders(reply);
      assert.equal(headers['x-ratelimit-limit-day'], '3');
      assert.equal(headers['x-ratelimit-remaining-day'], String(3 - i));
      assert.equal(headers['ratelimit-limit'], '3');
      assert.equal(headers['ratelimit-remaining'], String(3 - i));
      const reset = Number(headers['ratelimit-reset']);
      assert.ok(reset >= 1 && reset <= 86_400, `reset ${reset}`);
      assert.equal(headers['retry-after'], undefined);
    }
    const refused = await request(`${gateway.url}/r`);
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.json(), { message: 'API rate limit exceeded' });
    const headers = rateHeaders(refused);
    assert.equal(headers['x-ratelimit-remaining-day'], '0');
    assert.equal(headers['ratelimit-remaining'], '0');
    assert.equal(headers['retry-after'], headers['ratelimit-reset']);
    assert.equal((await request(`${gateway.url}/r`)).status, 429, 'refused requests are not counted, and do not unblock');
  });

  test('several windows: each has its headers; RateLimit-* follow the one with the fewest left (ties: the longer)', async (t) => {
    const gateway = await startGateway(t, snapshotOf({ services: service(['r']), plugins: [{ name: 'rate-limiting', config: { hour: 2, day: 2, month: 100 } }] }));
    const first = rateHeaders(await request(`${gateway.url}/r`));
    assert.equal(first['x-ratelimit-limit-hour'], '2');
    assert.equal(first['x-ratelimit-limit-day'], '2');
    assert.equal(first['x-ratelimit-limit-month'], '100');
    assert.equal(first['x-ratelimit-remaining-hour'], '1');
    assert.equal(first['x-ratelimit-remaining-day'], '1');
    assert.equal(first['x-ratelimit-remaining-month'], '99');
    assert.equal(first['ratelimit-limit'], '2');
    assert.equal(first['ratelimit-remaining'], '1');
    assert.ok(Number(first['ratelimit-reset']) > 3600 || new Date().getUTCHours() === 23, 'the day window, not the hour');
    await request(`${gateway.url}/r`);
    const refused = await request(`${gateway.url}/r`);
    assert.equal(refused.status, 429);
    const headers = rateHeaders(refused);
    assert.equal(headers['x-ratelimit-remaining-day'], '0');
    assert.equal(headers['x-ratelimit-remaining-month'], '98', 'a refused request does not count against the other windows');
    assert.equal(headers['ratelimit-remaining'], '0');
  });

  test('a second window ends and the client may come back', async (t) => {
    const gateway = await startGateway(t, snapshotOf({ services: service(['r']), plugins: [{ name: 'rate-limiting', config: { second: 1 } }] }));
    // Start early in a second, so both requests land in the same one.
    while (Date.now() % 1000 > 200) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal((await request(`${gateway.url}/r`)).status, 200);
    const refused = await request(`${gateway.url}/r`);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '1');
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    assert.equal((await request(`${gateway.url}/r`)).status, 200);
  });

  test('error_code, error_message and hide_client_headers (Retry-After is still sent)', async (t) => {
    const gateway = await startGateway(
      t,
      snapshotOf({ services: service(['r']), plugins: [{ name: 'rate-limiting', config: { day: 1, error_code: 418, error_message: 'slow down', hide_client_headers: true } }] }),
    );
    const ok = await request(`${gateway.url}/r`);
    assert.deepEqual(rateHeaders(ok), {});
    const refused = await request(`${gateway.url}/r`);
    assert.equal(refused.status, 418);
    assert.deepEqual(refused.json(), { message: 'slow down' });
    assert.deepEqual(Object.keys(rateHeaders(refused)), ['retry-after']);
  });

  test('limit_by header (falls back to the client IP), path, and one counter per plugin', async (t) => {
    const gateway = await startGateway(
      t,
      snapshotOf({
        services: service(['h', 'p', 'other']),
        plugins: [
          { name: 'rate-limiting', route: 'h', config: { day: 1, limit_by: 'header', header_name: 'X-Tenant' } },
          { name: 'rate-limiting', route: 'p', config: { day: 1, limit_by: 'path', path: '/p/exact' } },
          { name: 'rate-limiting', route: 'other', config: { day: 1, limit_by: 'ip' } },
        ],
      }),
    );
    const status = async (path: string, headers: Record<string, string> = {}): Promise<number> => (await request(`${gateway.url}${path}`, { headers })).status;
    assert.equal(await status('/h', { 'x-tenant': 'a' }), 200);
    assert.equal(await status('/h', { 'x-tenant': 'a' }), 429);
    assert.equal(await status('/h', { 'x-tenant': 'b' }), 200);
    assert.equal(await status('/h'), 200, 'no header: counted by IP');
    assert.equal(await status('/h'), 429);
    assert.equal(await status('/p/exact'), 200);
    assert.equal(await status('/p/exact'), 429);
    assert.equal(await status('/p/elsewhere'), 200, 'another path: counted by IP');
    assert.equal(await status('/p/elsewhere'), 429);
    assert.equal(await status('/other'), 200, 'another plugin counts on its own');
  });

  test('limit_by consumer: each consumer has its own count', async (t) => {
    const gateway = await startGateway(
      t,
      snapshotOf({
        services: service(['r']),
        consumers: [
          { username: 'alice', keyauth_credentials: [{ key: 'a' }] },
          { username: 'bob', keyauth_credentials: [{ key: 'b' }] },
        ],
        plugins: [{ name: 'key-auth' }, { name: 'rate-limiting', config: { day: 1 } }],
      }),
    );
    const status = async (key: string): Promise<number> => (await request(`${gateway.url}/r`, { headers: { apikey: key } })).status;
    assert.equal(await status('a'), 200);
    assert.equal(await status('a'), 429);
    assert.equal(await status('b'), 200);
  });

  test('counts survive reconfigures: unrelated ones keep the instance, a limit change keeps the counter', async (t) => {
    const plugin = { name: 'rate-limiting', id: '7d4c39b6-4a8e-4a57-9d0e-3f7f8f1c0a11', config: { day: 3 } };
    const gateway = await startGateway(t, snapshotOf({ services: service(['r']), plugins: [plugin] }));
    assert.equal((await request(`${gateway.url}/r`)).status, 200);
    gateway.install(snapshotOf({ services: service(['r', 'added']), plugins: [plugin] }, [], 2));
    assert.equal(gateway.instances.created, 1);
    assert.equal(rateHeaders(await request(`${gateway.url}/r`))['x-ratelimit-remaining-day'], '1');
    gateway.install(snapshotOf({ services: service(['r', 'added']), plugins: [{ ...plugin, config: { day: 4 } }] }, [], 3));
    assert.equal(rateHeaders(await request(`${gateway.url}/r`))['x-ratelimit-remaining-day'], '1', '3 counted of 4');
    assert.equal(gateway.instances.created, 2);
    assert.equal((await request(`${gateway.url}/r`)).status, 200);
    assert.equal((await request(`${gateway.url}/r`)).status, 429);
  });
});
