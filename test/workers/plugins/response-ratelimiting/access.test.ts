// response-ratelimiting through the worker's real data path (proxy-harness.ts) and a real upstream
// whose X-Kong-Limit header says what each answer costs: the remaining count sent upstream, the
// client headers per limit and window, 429 with no body once a costed limit is used up,
// block_on_first_violation, hide_client_headers, header_name, limit_by; and on the real runtime,
// costs counted exactly across two worker threads.
// Day windows, so that no window ends mid-test (short of UTC midnight).
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test, type TestContext } from 'node:test';
import { request, type Reply } from '../../../helpers/http.ts';
import { startRuntime, writeConfig } from '../../../helpers/runtime.ts';
import { startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

/** The upstream answers with `<header>: <x-cost of the request>` and echoes the remaining headers it got. */
function costing(header = 'X-Kong-Limit') {
  let hits = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    hits++;
    const cost = req.headers['x-cost'];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (typeof cost === 'string') headers[header] = cost;
    const remaining = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-ratelimit-remaining')));
    res.writeHead(200, headers);
    res.end(JSON.stringify({ remaining }));
  };
  return { handler, hits: () => hits };
}

async function gateway(t: TestContext, config: Record<string, unknown>, header?: string, extra: Record<string, unknown> = {}): Promise<{ proxy: ProxyHarness; hits: () => number }> {
  const upstreamSide = costing(header);
  const upstream = await startUpstream(upstreamSide.handler);
  t.after(() => upstream.close());
  const proxy = await startProxy(
    t,
    snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/'] }] }], plugins: [{ name: 'response-ratelimiting', config }], ...extra }),
  );
  return { proxy, hits: upstreamSide.hits };
}

function limitHeaders(reply: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.headers)) if (name.startsWith('x-ratelimit-') || name === 'x-kong-limit') out[name] = String(value);
  return out;
}

const call = (proxy: ProxyHarness, cost?: string, headers: Record<string, string> = {}): Promise<Reply> =>
  request(`${proxy.url}/x`, { headers: cost === undefined ? headers : { 'x-cost': cost, ...headers } });

describe('response-ratelimiting', () => {
  test('costs from the upstream header are counted; headers as Kong; a used-up limit turns a costed answer into an empty 429', async (t) => {
    const { proxy, hits } = await gateway(t, { limits: { video: { day: 3, month: 100 }, image: { day: 10 } } });
    const first = await call(proxy, 'video=2, image=1');
    assert.equal(first.status, 200);
    assert.deepEqual(first.json(), { remaining: { 'x-ratelimit-remaining-video': '3', 'x-ratelimit-remaining-image': '10' } });
    assert.deepEqual(limitHeaders(first), {
      'x-ratelimit-limit-video-day': '3',
      'x-ratelimit-remaining-video-day': '1',
      'x-ratelimit-limit-video-month': '100',
      'x-ratelimit-remaining-video-month': '98',
      'x-ratelimit-limit-image-day': '10',
      'x-ratelimit-remaining-image-day': '9',
    });
    const second = await call(proxy, 'video=1');
    assert.equal(second.status, 200);
    assert.equal(second.headers['x-ratelimit-remaining-video-day'], '0');
    assert.equal(second.json<{ remaining: Record<string, string> }>().remaining['x-ratelimit-remaining-video'], '1');
    // Nothing left of video: an answer that costs video is refused, with no body...
    const refused = await call(proxy, 'video=1');
    assert.equal(refused.status, 429);
    assert.equal(refused.body, '');
    assert.equal(refused.headers['x-ratelimit-remaining-video-day'], '0');
    // ...and is not counted; an answer that costs only image still passes.
    assert.equal((await call(proxy, 'image=1')).status, 200);
    const free = await call(proxy);
    assert.equal(free.status, 200);
    assert.equal(free.headers['x-ratelimit-remaining-image-day'], '8');
    assert.equal(free.headers['x-ratelimit-remaining-video-month'], '97', 'the refused answer was not counted');
    assert.equal(hits(), 5, 'the upstream saw every request (the limit applies to answers)');
  });

  test('unknown limit names and malformed parts in the header count nothing', async (t) => {
    const { proxy } = await gateway(t, { limits: { video: { day: 5 } } });
    await call(proxy, 'audio=3, video, video=x, =2, video=1=2');
    assert.equal((await call(proxy)).headers['x-ratelimit-remaining-video-day'], '5');
  });

  test('block_on_first_violation: a used-up limit refuses in access, the upstream is not called', async (t) => {
    const { proxy, hits } = await gateway(t, { limits: { video: { day: 2 } }, block_on_first_violation: true });
    assert.equal((await call(proxy, 'video=2')).status, 200);
    const refused = await call(proxy);
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.json(), { message: "API rate limit exceeded for 'video'" });
    assert.equal(hits(), 1);
  });

  test('hide_client_headers and a custom header_name (removed from the answer either way)', async (t) => {
    const { proxy } = await gateway(t, { limits: { video: { day: 2 } }, hide_client_headers: true, header_name: 'X-Cost-Units' }, 'X-Cost-Units');
    const reply = await call(proxy, 'video=2');
    assert.deepEqual(limitHeaders(reply), {});
    assert.equal(reply.headers['x-cost-units'], undefined);
    assert.equal((await call(proxy, 'video=1')).status, 429, 'counted under the custom header name');
  });

  test('limit_by consumer: each consumer has its own count', async (t) => {
    const { proxy } = await gateway(t, { limits: { video: { day: 1 } } }, undefined, {
      consumers: [
        { username: 'alice', keyauth_credentials: [{ key: 'a' }] },
        { username: 'bob', keyauth_credentials: [{ key: 'b' }] },
      ],
      plugins: [{ name: 'key-auth' }, { name: 'response-ratelimiting', config: { limits: { video: { day: 1 } } } }],
    });
    assert.equal((await call(proxy, 'video=1', { apikey: 'a' })).status, 200);
    assert.equal((await call(proxy, 'video=1', { apikey: 'a' })).status, 429);
    assert.equal((await call(proxy, 'video=1', { apikey: 'b' })).status, 200);
  });

  test('two worker threads count into one table: costs add up exactly', { timeout: 300_000 }, async (t) => {
    const upstreamSide = costing();
    const upstream = await startUpstream(upstreamSide.handler);
    t.after(() => upstream.close());
    const file = await writeConfig(
      JSON.stringify({
        _format_version: '3.0',
        services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/'] }] }],
        plugins: [{ name: 'response-ratelimiting', config: { limits: { video: { day: 1000 } }, limit_by: 'ip' } }],
      }),
    );
    const runtime = await startRuntime(['--config', file, '--workers', '2'], { timeoutMs: 60_000 });
    t.after(() => runtime.stop());
    // 200 requests over fresh connections (the kernel spreads them over both workers), cost 3 each.
    for (let i = 0; i < 200; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => request(`${runtime.proxy}/x`, { headers: { 'x-cost': 'video=3' } })));
    }
    // Costs are counted in the log phase, right after each answer: wait for the last ones.
    let remaining = '';
    for (let attempt = 0; attempt < 50; attempt++) {
      remaining = String((await request(`${runtime.proxy}/x`)).headers['x-ratelimit-remaining-video-day']);
      if (remaining === '400') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(remaining, '400', '1000 - 200 * 3');
  });
});
