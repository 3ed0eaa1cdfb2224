// request-termination on real requests: Kong 3's answers for each config shape, trigger and echo.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { snapshotOf, startGateway, suiteCleanup, type Gateway } from '../helpers.ts';

const routes = ['default', 'message', 'body', 'body-no-type', 'silent', 'trigger', 'echo', 'https-protocol'];

const snapshot = snapshotOf({
  services: [{ name: 's1', url: 'http://127.0.0.1:9', routes: routes.map((name) => ({ name, paths: [`/${name}`] })) }],
  plugins: [
    { name: 'request-termination', route: 'default' },
    { name: 'request-termination', route: 'message', config: { status_code: 403, message: 'So long' } },
    { name: 'request-termination', route: 'body', config: { status_code: 451, body: '<h1>gone</h1>', content_type: 'text/html' } },
    { name: 'request-termination', route: 'body-no-type', config: { status_code: 200, body: 'plain' } },
    { name: 'request-termination', route: 'silent', config: { status_code: 418 } },
    { name: 'request-termination', route: 'trigger', config: { status_code: 404, trigger: 'X-Stop' } },
    { name: 'request-termination', route: 'echo', config: { status_code: 200, echo: true } },
    // Kong reads a plugin's protocols for the subsystem only (plugins_iterator.lua): [https] runs on plain HTTP too.
    { name: 'request-termination', route: 'https-protocol', protocols: ['https'], config: { status_code: 403 } },
  ],
});

describe('request-termination', () => {
  let gateway: Gateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gateway = await startGateway(cleanup, snapshot);
  });

  test('defaults: 503 {"message":"Service unavailable"}', async () => {
    const reply = await request(`${gateway.url}/default`);
    assert.equal(reply.status, 503);
    assert.deepEqual(reply.json(), { message: 'Service unavailable' });
    assert.match(String(reply.headers['content-type']), /^application\/json/);
  });

  test("a plugin whose protocols are [https] runs on a plain HTTP request, as Kong's iterator does", async () => {
    assert.equal((await request(`${gateway.url}/https-protocol`)).status, 403);
  });

  test('status_code and message', async () => {
    const reply = await request(`${gateway.url}/message`);
    assert.equal(reply.status, 403);
    assert.deepEqual(reply.json(), { message: 'So long' });
  });

  test('body and content_type are sent as they are', async () => {
    const reply = await request(`${gateway.url}/body`);
    assert.equal(reply.status, 451);
    assert.equal(reply.body, '<h1>gone</h1>');
    assert.equal(reply.headers['content-type'], 'text/html');
    assert.equal((await request(`${gateway.url}/body-no-type`)).body, 'plain');
  });

  test('a status with no default message answers with no body', async () => {
    const reply = await request(`${gateway.url}/silent`);
    assert.equal(reply.status, 418);
    assert.equal(reply.body, '');
  });

  test('trigger: only requests carrying the header or query argument are terminated', async () => {
    assert.equal((await request(`${gateway.url}/trigger`)).status, 200, 'passes through');
    const header = await request(`${gateway.url}/trigger`, { headers: { 'x-stop': '' } });
    assert.equal(header.status, 404);
    assert.deepEqual(header.json(), { message: 'Not found' });
    assert.equal((await request(`${gateway.url}/trigger?X-Stop`)).status, 404);
    assert.equal((await request(`${gateway.url}/trigger?x-stop=1`)).status, 200, 'query arguments are case-sensitive');
  });

  test('echo reflects the request, its body and the matched route and service', async () => {
    const reply = await request(`${gateway.url}/echo/sub?a=1&a=2&flag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-demo': 'yes' },
      body: JSON.stringify({ hello: 'world' }),
    });
    assert.equal(reply.status, 200);
    const echo = reply.json<{ message?: string; request: Record<string, unknown>; matched_route: { name: string }; matched_service: { name: string }; kong: Record<string, unknown> }>();
    assert.equal(echo.message, undefined, 'no default message for 200');
    assert.equal(echo.request.method, 'POST');
    assert.equal(echo.request.scheme, 'http');
    assert.equal(echo.request.host, '127.0.0.1');
    assert.equal(echo.request.path, '/echo/sub');
    assert.deepEqual(echo.request.query, { a: ['1', '2'], flag: true });
    assert.deepEqual(echo.request.body, { hello: 'world' });
    assert.equal(echo.request.raw_body, '{"hello":"world"}');
    assert.equal((echo.request.headers as Record<string, string>)['x-demo'], 'yes');
    assert.equal(echo.matched_route.name, 'echo');
    assert.equal(echo.matched_service.name, 's1');
    assert.equal(echo.kong.worker_pid, process.pid);
    const bare = (await request(`${gateway.url}/echo`)).json<{ request: Record<string, unknown> }>();
    assert.equal(bare.request.body, undefined);
    assert.deepEqual(bare.request.query, {});
  });
});
