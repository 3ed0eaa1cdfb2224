// bot-detection through the worker's real data path (proxy-harness.ts) and a real upstream:
// Kong's bundled bot rules, allow over deny over the rules, Kong's 403 and 400 bodies, and the
// per-config verdict memo staying bounded.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { rawExchange } from '../../../helpers/raw-http.ts';
import { echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { captureLog, snapshotOf } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';
import type { Socket } from 'node:net';
import type { Config } from '../../../../config/plugins/bot-detection.ts';
import { createCounterMemory } from '../../../../runtime/protocol/counters.ts';
import { Http1Request } from '../../../../workers/http1/request.ts';
import type { Http1Response } from '../../../../workers/http1/response.ts';
import type { PluginEnv, PluginInstance } from '../../../../workers/plugins/types.ts';
import { RequestContext } from '../../../../workers/proxy/context.ts';
import { TimerWheel } from '../../../../workers/timers/wheel.ts';

async function gateway(t: TestContext, config: Record<string, unknown> = {}): Promise<ProxyHarness> {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  return startProxy(t, snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/'] }] }], plugins: [{ name: 'bot-detection', config }] }));
}

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'facebookexternalhit/1.1',
  'Twitterbot/1.0',
  'curl/8.0 Apache-HttpClient/4.5.13 (Java/17)',
  'python-requests/2.31 Python-urllib/3.11',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Go-http-client/1.1',
  'Scrapy/2.11 (+https://scrapy.org)',
];

describe('bot-detection', () => {
  test("Kong's bundled rules refuse known bots with 403 Forbidden; browsers, unknown agents and no agent pass", async (t) => {
    const proxy = await gateway(t);
    for (const agent of BOTS) {
      const reply = await request(`${proxy.url}/x`, { headers: { 'user-agent': agent } });
      assert.equal(reply.status, 403, agent);
      assert.deepEqual(reply.json(), { message: 'Forbidden' });
    }
    assert.equal((await request(`${proxy.url}/x`, { headers: { 'user-agent': BROWSER } })).status, 200);
    assert.equal((await request(`${proxy.url}/x`, { headers: { 'user-agent': 'my-app/1.0' } })).status, 200);
    assert.equal((await request(`${proxy.url}/x`)).status, 200);
    // Again, from the memo: same answers.
    assert.equal((await request(`${proxy.url}/x`, { headers: { 'user-agent': BOTS[0]! } })).status, 403);
    assert.equal((await request(`${proxy.url}/x`, { headers: { 'user-agent': BROWSER } })).status, 200);
  });

  test('allow beats deny and the rules; deny refuses what the rules let through', async (t) => {
    const proxy = await gateway(t, { allow: ['Googlebot', String.raw`^my-(\w+)/\d`], deny: ['Chrome', 'my-app'] });
    const status = async (agent: string): Promise<number> => (await request(`${proxy.url}/x`, { headers: { 'user-agent': agent } })).status;
    assert.equal(await status(BOTS[0]!), 200, 'allowed although a bot');
    assert.equal(await status('my-app/1.0'), 200, 'allowed although denied');
    assert.equal(await status(BROWSER), 403, 'denied');
    assert.equal(await status('facebookexternalhit/1.1'), 403, 'still a bot');
    assert.equal(await status('curl/8.4.0'), 200);
  });

  test('two User-Agent headers are a 400', async (t) => {
    const proxy = await gateway(t);
    const { responses } = await rawExchange(proxy.url, 'GET /x HTTP/1.1\r\nHost: a\r\nUser-Agent: one\r\nUser-Agent: two\r\n\r\n');
    assert.equal(responses[0]!.status, 400);
    assert.deepEqual(JSON.parse(responses[0]!.body.toString()), { message: 'Only one User-Agent header allowed' });
  });

  test('many distinct agents: the verdict memo stays bounded (10,000) and answers stay right', async () => {
    // On the instance directly: 12,000 requests through sockets would take most of a minute here.
    const definition = (await import('../../../../workers/plugins/bot-detection/handler.ts')).default;
    const snapshot = snapshotOf({ plugins: [{ name: 'bot-detection' }] });
    const plugin = Object.values(snapshot.entities.plugins)[0]!;
    const { log } = captureLog();
    const env: PluginEnv = { worker: 0, wheel: new TimerWheel(), counters: createCounterMemory(16), credentials: () => { throw new Error('unused'); }, log };
    const instance = definition.create(plugin.config as unknown as Config, env, plugin) as PluginInstance & { memoSize: number };
    const socket = { remoteAddress: '127.0.0.1' } as Socket;
    let refused = 0;
    for (let n = 0; n < 12_000; n++) {
      const agent = n % 2 === 0 ? `client-${n}/1.0` : `crawler-${n}bot/2.0`;
      const ctx = new RequestContext(new Http1Request('GET', '/', '1.1', ['User-Agent', agent], socket), { headersSent: true, destroy() { refused++; } } as unknown as Http1Response, 0);
      instance.access!(ctx);
      assert.ok(instance.memoSize <= 10_000);
    }
    assert.equal(refused, 6000, 'every crawler refused, every client let through');
    env.wheel.close();
  });
});
