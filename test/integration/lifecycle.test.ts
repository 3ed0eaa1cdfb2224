// Worker replacement and graceful drain (issue #2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig } from '../helpers/runtime.ts';
import { echoHandler, startUpstream } from '../helpers/upstream.ts';

async function configFor(url: string): Promise<string> {
  return writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${url}
    routes:
      - name: app
        paths: [/]
`);
}

test("a killed worker's slot goes to the loaded spare and serves again while the other keeps serving", async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const runtime = await startRuntime(['--config', await configFor(upstream.url), '--workers', '2']);
  t.after(() => runtime.stop());

  // The runtime keeps one loaded spare thread; a dead worker's slot goes to it.
  let before = (await request(`${runtime.admin}/workers`)).json<{ spare: string; spare_thread_id: number; data: Array<{ thread_id: number; generation: number }> }>();
  for (let i = 0; i < 100 && before.spare !== 'loaded'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    before = (await request(`${runtime.admin}/workers`)).json();
  }
  assert.equal(before.spare, 'loaded');
  assert.equal((await request(`${runtime.admin}/workers/0`, { method: 'DELETE' })).status, 202);
  // While worker 0 is gone, the proxy port keeps answering (worker 1 shares it).
  for (let i = 0; i < 20; i++) assert.equal((await request(`${runtime.proxy}/x`)).status, 200);
  await runtime.waitForLog((line) => line.msg === 'worker ready' && line.worker === 0 && line.generation === 2, 30_000);
  const after = (await request(`${runtime.admin}/workers`)).json<{ data: Array<{ thread_id: number; alive: boolean; restarts: number; applied_version: number }> }>();
  assert.notEqual(after.data[0]!.thread_id, before.data[0]!.thread_id);
  // The loaded spare took the slot (no module loading on the way back; its speed is a bench figure).
  assert.equal(after.data[0]!.thread_id, before.spare_thread_id);
  assert.equal(after.data[0]!.alive, true);
  assert.equal(after.data[0]!.restarts, 1);
  assert.equal(after.data[0]!.applied_version, 1, 'the respawned worker got the full snapshot');
  assert.equal(after.data[1]!.thread_id, before.data[1]!.thread_id, 'the other worker was left alone');
});

test('--no-spare: no spare thread is kept, and a dead worker is still replaced with a fresh thread', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const runtime = await startRuntime(['--config', await configFor(upstream.url), '--workers', '1', '--no-spare']);
  t.after(() => runtime.stop());
  // Longer than a spare takes to load (the test above waits for one the same way).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await request(`${runtime.admin}/workers`)).json<{ spare: string }>().spare, 'none');
  assert.equal((await request(`${runtime.admin}/workers/0`, { method: 'DELETE' })).status, 202);
  await runtime.waitForLog((line) => line.msg === 'worker ready' && line.worker === 0 && line.generation === 2, 10_000);
  assert.equal((await request(`${runtime.proxy}/x`)).status, 200);
  assert.equal((await request(`${runtime.admin}/workers`)).json<{ spare: string }>().spare, 'none');
});

test('a worker that keeps dying is backed off, not spun', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const runtime = await startRuntime(['--config', await configFor(upstream.url), '--workers', '1']);
  t.after(() => runtime.stop());
  for (let generation = 2; generation <= 4; generation++) {
    await request(`${runtime.admin}/workers/0`, { method: 'DELETE' });
    await runtime.waitForLog((line) => line.msg === 'worker ready' && line.generation === generation, 10_000);
  }
  const delays = runtime.logs.filter((line) => line.msg === 'worker exited; respawning').map((line) => Number(line.delay_ms));
  assert.equal(delays.length, 3);
  assert.equal(delays[0], 0, 'the first crash respawns at once');
  assert.ok(delays[1]! > 0 && delays[2]! > delays[1]!, `backoff grows: ${delays.join(', ')}`);
});

test('SIGTERM lets an in-flight slow request finish, then exits 0', async (t) => {
  let arrived: () => void = () => {};
  const atUpstream = new Promise<void>((resolve) => (arrived = resolve));
  const slow = await startUpstream((req, res) => {
    arrived();
    setTimeout(() => res.end('slow but complete'), 800);
  });
  t.after(() => slow.close());
  const runtime = await startRuntime(['--config', await configFor(slow.url), '--workers', '2']);
  const pending = request(`${runtime.proxy}/slow`);
  // SIGTERM once the request is in flight (reached the upstream), however slow the machine is.
  await atUpstream;
  const exit = runtime.stop('SIGTERM');
  const reply = await pending;
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'slow but complete');
  assert.equal(await exit, 0);
});
