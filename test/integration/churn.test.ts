// The upstream-churn failure, fixed and proven (issue #4): under steady traffic only target
// addresses change, 12 times a second for 10 seconds. Kong rebuilds its router and plugins
// iterator on every one of those; Sluice must rebuild exactly one balancer per change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig } from '../helpers/runtime.ts';
import { startUpstream } from '../helpers/upstream.ts';

const CHANGES = 120;
const PER_SECOND = 12;
const LIMITED_HOURLY = 20;

interface WorkerView {
  status: { rebuilds: Record<'router' | 'plugins' | 'balancer' | 'credentials', Record<string, number>> };
  generation: number;
}

test('12 target-only changes a second for 10 s rebuild one balancer each and nothing else', { timeout: 120_000 }, async (t) => {
  const a = await startUpstream((_req, res) => res.end('a'));
  const b = await startUpstream((_req, res) => res.end('b'));
  t.after(() => Promise.all([a.close(), b.close()]));
  const config = (target: string): string =>
    JSON.stringify({
      _format_version: '3.0',
      upstreams: [
        { name: 'app-upstream', targets: [{ target }] },
        { name: 'untouched', targets: [{ target: `127.0.0.1:${a.port}` }] },
      ],
      services: [
        { name: 'app', host: 'app-upstream', port: 80, routes: [{ name: 'app', paths: ['/app'] }] },
        { name: 'other', host: 'untouched', port: 80, routes: [{ name: 'other', paths: ['/other'] }] },
      ],
      consumers: [
        { username: 'limited', keyauth_credentials: [{ key: 'limited-key' }] },
        { username: 'free', keyauth_credentials: [{ key: 'free-key' }] },
      ],
      plugins: [
        { name: 'key-auth' },
        { name: 'rate-limiting', config: { hour: 1_000_000, policy: 'local' } },
        // Consumer-scoped config beats the global one (Kong's precedence).
        { name: 'rate-limiting', consumer: 'limited', config: { hour: LIMITED_HOURLY, policy: 'local' } },
      ],
    });
  const targets = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
  const file = await writeConfig(config(targets[0]!), 'kong.json');
  const runtime = await startRuntime(['--config', file, '--workers', '2']);
  t.after(() => runtime.stop());

  const statuses = { limited: new Map<number, number>(), free: new Map<number, number>() };
  const bodies = new Set<string>();
  let stop = false;
  const drive = async (who: 'limited' | 'free'): Promise<void> => {
    while (!stop) {
      const reply = await request(`${runtime.proxy}/app`, { headers: { apikey: `${who}-key` } });
      statuses[who].set(reply.status, (statuses[who].get(reply.status) ?? 0) + 1);
      if (reply.status === 200) bodies.add(reply.body);
    }
  };
  const drivers = [drive('limited'), drive('free'), drive('free')];

  const started = Date.now();
  for (let i = 1; i <= CHANGES; i++) {
    const reply = await request(`${runtime.admin}/config?wait=1`, { method: 'POST', body: config(targets[i % 2]!), headers: { 'content-type': 'application/json' } });
    assert.equal(reply.status, 201, reply.body);
    const body = reply.json<{ upserts: number; removes: number }>();
    // The target's id derives from its address: one target out, one in, nothing else.
    assert.deepEqual({ upserts: body.upserts, removes: body.removes }, { upserts: 1, removes: 1 });
    const due = started + (i * 1000) / PER_SECOND;
    if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  }
  stop = true;
  await Promise.all(drivers);

  const workers = (await request(`${runtime.admin}/workers`)).json<{ data: WorkerView[] }>().data;
  assert.equal(workers.length, 2);
  for (const worker of workers) {
    assert.equal(worker.generation, 1, 'no worker was replaced during the run');
    const rebuilds = worker.status.rebuilds;
    assert.deepEqual(rebuilds.router, { initial: 1 }, 'router never rebuilt');
    assert.deepEqual(rebuilds.plugins, { initial: 1 }, 'plugins iterator never rebuilt');
    assert.deepEqual(rebuilds.credentials, { initial: 1 }, 'credentials index never rebuilt');
    // Two balancers at start, then exactly one per change (the untouched upstream: never).
    assert.deepEqual(rebuilds.balancer, { initial: 2, targets: CHANGES });
  }
  const unexpected = [...statuses.limited.keys(), ...statuses.free.keys()].filter((code) => code !== 200 && code !== 429);
  assert.deepEqual(unexpected, [], JSON.stringify({ limited: [...statuses.limited], free: [...statuses.free] }));
  // Counted exactly across both workers and never reset by a reconfigure.
  assert.equal(statuses.limited.get(200), LIMITED_HOURLY);
  assert.ok((statuses.limited.get(429) ?? 0) > 0);
  assert.equal(statuses.free.get(429) ?? 0, 0);
  assert.ok((statuses.free.get(200) ?? 0) > CHANGES, 'traffic flowed throughout');
  assert.deepEqual([...bodies].sort(), ['a', 'b'], 'both target addresses served');
});
