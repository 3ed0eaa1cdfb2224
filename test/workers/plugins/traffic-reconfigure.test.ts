// The traffic plugins (cors, ip-restriction, bot-detection, redirect, request-size-limiting,
// response-ratelimiting) keep their instances — and the state on them (bot-detection's verdict
// memo, response-ratelimiting's counts) — across a reconfigure that does not touch them: a
// service and a route added. Through the worker's real data path and a real upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from '../../../config/types.ts';
import type { PluginInstance } from '../../../workers/plugins/types.ts';
import { request } from '../../helpers/http.ts';
import { startUpstream } from '../../helpers/upstream.ts';
import { snapshotOf } from './helpers.ts';
import { startProxy, type ProxyHarness } from './proxy-harness.ts';

function doc(upstream: string, unrelated: boolean): Record<string, unknown> {
  return {
    services: [
      {
        name: 's',
        url: upstream,
        routes: [
          {
            name: 'traffic',
            paths: ['/traffic'],
            plugins: [
              { name: 'cors', config: { origins: ['http://a.example', String.raw`.*\.b\.example`] } },
              { name: 'ip-restriction', config: { allow: ['127.0.0.0/8'] } },
              { name: 'bot-detection' },
              { name: 'request-size-limiting', config: { allowed_payload_size: 10, size_unit: 'bytes' } },
              { name: 'response-ratelimiting', config: { limits: { video: { day: 5 } } } },
            ],
          },
          { name: 'moved', paths: ['/moved'], plugins: [{ name: 'redirect', config: { location: 'https://new.example/' } }] },
        ],
      },
      ...(unrelated ? [{ name: 'other', url: upstream, routes: [{ name: 'other', paths: ['/other'] }] }] : []),
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

test('traffic plugins keep their instances and state across an unrelated reconfigure', async (t) => {
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'x-kong-limit': 'video=1' });
    res.end('ok');
  });
  t.after(() => upstream.close());
  const first = snapshotOf(doc(upstream.url, false));
  const proxy = await startProxy(t, first);
  const check = async (remaining: string): Promise<void> => {
    const ok = await request(`${proxy.url}/traffic`, { headers: { origin: 'https://x.b.example', 'user-agent': 'my-app/1' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://x.b.example');
    assert.equal(ok.headers['x-ratelimit-remaining-video-day'], remaining);
    assert.equal((await request(`${proxy.url}/traffic`, { headers: { 'user-agent': 'Googlebot/2.1' } })).status, 403);
    assert.equal((await request(`${proxy.url}/traffic`, { method: 'POST', body: 'more than ten bytes' })).status, 413);
    assert.equal((await request(`${proxy.url}/moved`)).headers.location, 'https://new.example/');
  };
  await check('4');
  const before = instances(proxy, first);
  assert.equal(before.size, 6);
  for (const [name, instance] of before) assert.notEqual(instance, null, `${name} was made`);
  const memo = (before.get('bot-detection') as PluginInstance & { memoSize: number }).memoSize;
  assert.equal(memo, 2);
  const created = proxy.deps.instances.created;

  const second = snapshotOf(doc(upstream.url, true), [], 2);
  proxy.install(second);
  assert.equal((await request(`${proxy.url}/other`)).status, 200);
  const after = instances(proxy, second);
  for (const [name, instance] of before) assert.equal(after.get(name), instance, `${name} kept its instance`);
  assert.equal(proxy.deps.instances.created, created, 'nothing re-created');
  assert.equal((after.get('bot-detection') as PluginInstance & { memoSize: number }).memoSize, memo, 'the verdict memo survived');
  // The video count continues: the first check's answer cost 1, this one costs 1 more (5 - 2).
  await check('3');
});
