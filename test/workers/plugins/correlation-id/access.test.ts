// correlation-id on real requests: generators, an incoming id kept, echo_downstream on upstream
// answers and on answers the gateway makes itself.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { snapshotOf, startGateway, suiteCleanup, type Gateway, type UpstreamEcho } from '../helpers.ts';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const snapshot = snapshotOf({
  services: [
    {
      name: 's1',
      url: 'http://127.0.0.1:9',
      routes: ['counter', 'uuid', 'tracker', 'echo', 'exit'].map((name) => ({ name, paths: [`/${name}`] })),
    },
  ],
  plugins: [
    { name: 'correlation-id', route: 'counter' },
    { name: 'correlation-id', route: 'uuid', config: { generator: 'uuid', header_name: 'X-Request-Id' } },
    { name: 'correlation-id', route: 'tracker', config: { generator: 'tracker' } },
    { name: 'correlation-id', route: 'echo', config: { echo_downstream: true } },
    { name: 'correlation-id', route: 'exit', config: { echo_downstream: true } },
    { name: 'request-termination', route: 'exit', config: { status_code: 403 } },
  ],
});

describe('correlation-id', () => {
  let gateway: Gateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gateway = await startGateway(cleanup, snapshot);
  });

  async function upstreamId(path: string, header = 'kong-request-id', headers: Record<string, string> = {}): Promise<string | null> {
    return (await request(`${gateway.url}${path}`, { headers })).json<UpstreamEcho>().headers[header] ?? null;
  }

  test('uuid#counter (the default): one uuid per worker, then a counter', async () => {
    const first = await upstreamId('/counter');
    const second = await upstreamId('/counter');
    const pattern = new RegExp(`^(${UUID})#(\\d+)$`);
    const [, uuid1, n1] = pattern.exec(first ?? '')!;
    const [, uuid2, n2] = pattern.exec(second ?? '')!;
    assert.equal(uuid1, uuid2);
    assert.equal(Number(n2), Number(n1) + 1);
  });

  test('uuid, under a custom header name', async () => {
    const id = await upstreamId('/uuid', 'x-request-id');
    assert.match(id ?? '', new RegExp(`^${UUID}$`));
    assert.notEqual(await upstreamId('/uuid', 'x-request-id'), id);
  });

  test('tracker: address-port-pid-connection-requests-time', async () => {
    assert.match((await upstreamId('/tracker')) ?? '', /^127\.0\.0\.1-\d+-\d+-0\.\d+-1-\d+\.\d{3}$/);
  });

  test('an incoming id is kept (and not rewritten upstream)', async () => {
    const echo = (await request(`${gateway.url}/counter`, { headers: { 'kong-request-id': 'from-client' } })).json<UpstreamEcho>();
    assert.equal(echo.headers['kong-request-id'], undefined, 'the client header goes through untouched');
  });

  test('echo_downstream: the client sees the id, replacing an upstream copy', async () => {
    const reply = await request(`${gateway.url}/echo`, { headers: { 'x-upstream-headers': JSON.stringify({ 'kong-request-id': 'from-upstream' }) } });
    const sent = reply.json<UpstreamEcho>().headers['kong-request-id'];
    assert.ok(sent);
    assert.equal(reply.headers['kong-request-id'], sent);
    const kept = await request(`${gateway.url}/echo`, { headers: { 'kong-request-id': 'abc' } });
    assert.equal(kept.headers['kong-request-id'], 'abc');
  });

  test('echo_downstream also on answers the gateway makes (a later plugin exits)', async () => {
    const reply = await request(`${gateway.url}/exit`);
    assert.equal(reply.status, 403);
    assert.match(String(reply.headers['kong-request-id']), new RegExp(`^${UUID}#\\d+$`));
  });
});
