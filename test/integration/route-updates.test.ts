// A route or service change updates each worker's router in place instead of rebuilding it, and the
// counters say so: /workers (`updates` beside `rebuilds`) and sluice_rebuilds_total{kind}. With
// --rebuild-all the same changes rebuild it, as Kong does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream } from '../helpers/upstream.ts';

interface WorkerView {
  status: {
    rebuilds: Record<string, Record<string, number>>;
    updates: Record<string, Record<string, { times: number; entities: number }>>;
  };
}

function config(port: number, firstPath: string, servicePath: string): string {
  const routes = Array.from({ length: 50 }, (_, i) => ({ name: `r${i}`, paths: [i === 0 ? firstPath : `/r${i}`] }));
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      { name: 'main', url: `http://127.0.0.1:${port}${servicePath}`, routes },
      { name: 'other', url: `http://127.0.0.1:${port}/other`, routes: [{ name: 'o', paths: ['/o'] }] },
    ],
  });
}

async function post(runtime: Runtime, text: string): Promise<void> {
  const reply = await request(`${runtime.admin}/config?wait=1`, { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });
  assert.equal(reply.status, 201, reply.body);
}

async function workers(runtime: Runtime): Promise<WorkerView[]> {
  return (await request(`${runtime.admin}/workers`)).json<{ data: WorkerView[] }>().data;
}

/** Sum of a counter's samples whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('route and service changes reach the router', () => {
  it('update it in place, route by route, and count "updated" apart from "rebuilt"', { timeout: 60_000 }, async (t) => {
    const upstream = await startUpstream((req, res) => res.end(req.url));
    t.after(() => upstream.close());
    const file = await writeConfig(config(upstream.port, '/first', '/base'), 'kong.json');
    const runtime = await startRuntime(['--config', file, '--workers', '2']);
    t.after(() => runtime.stop());

    assert.equal((await request(`${runtime.proxy}/first/x`)).body, '/base/x');
    await post(runtime, config(upstream.port, '/second', '/base'));
    assert.equal((await request(`${runtime.proxy}/first/x`)).status, 404);
    assert.equal((await request(`${runtime.proxy}/second/x`)).body, '/base/x');
    assert.equal((await request(`${runtime.proxy}/r7/y`)).body, '/base/y');

    // A service change re-files its 50 routes, and only the router follows it.
    await post(runtime, config(upstream.port, '/second', '/moved'));
    assert.equal((await request(`${runtime.proxy}/second/x`)).body, '/moved/x');
    assert.equal((await request(`${runtime.proxy}/o`)).body, '/other');

    for (const worker of await workers(runtime)) {
      assert.deepEqual(worker.status.rebuilds.router, { initial: 1 }, 'router built once, never rebuilt');
      assert.deepEqual(worker.status.updates.router, { routes: { times: 1, entities: 1 }, services: { times: 1, entities: 1 } });
    }
    const metrics = (await request(`${runtime.admin}/metrics`)).body;
    assert.equal(sample(metrics, 'sluice_rebuilds_total', { component: 'router', kind: 'updated' }), 4, 'two updates on each of two workers');
    assert.equal(sample(metrics, 'sluice_rebuilds_total', { component: 'router', kind: 'rebuilt' }), 2);
    assert.equal(sample(metrics, 'sluice_rebuild_updated_entities_total', { component: 'router', reason: 'routes' }), 2);
  });

  it('rebuild it with --rebuild-all', { timeout: 60_000 }, async (t) => {
    const upstream = await startUpstream((req, res) => res.end(req.url));
    t.after(() => upstream.close());
    const file = await writeConfig(config(upstream.port, '/first', '/base'), 'kong.json');
    const runtime = await startRuntime(['--config', file, '--workers', '1', '--rebuild-all']);
    t.after(() => runtime.stop());

    await post(runtime, config(upstream.port, '/second', '/base'));
    assert.equal((await request(`${runtime.proxy}/second/x`)).body, '/base/x');
    assert.equal((await request(`${runtime.proxy}/first/x`)).status, 404);
    const [worker] = await workers(runtime);
    assert.deepEqual(worker!.status.rebuilds.router, { initial: 1, routes: 1 });
    assert.deepEqual(worker!.status.updates.router, {});
  });
});
