// Config changes meeting worker threads at every point of their life (issue #12, item 1): while
// they load at boot, while a dead one's replacement loads (--no-spare), while they load slowly,
// and a config a worker cannot apply. No worker may crash or restart, and every one converges.
// SLUICE_TEST_WORKER_* are the test-only hooks of workers/test-hooks.ts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { request, type Reply } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';

/** A config whose one route answers `body` itself, so which config a worker serves is visible. */
function configSaying(body: string): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'app', url: 'http://127.0.0.1:1', routes: [{ name: 'app', paths: ['/'] }] }],
    plugins: [{ name: 'request-termination', config: { status_code: 200, body } }],
  });
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function postConfig(admin: string, text: string, wait = false): Promise<Reply> {
  return request(`${admin}/config${wait ? '?wait=1' : ''}`, { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });
}

/**
 * Posts a new config back to back until `stop()` is called, starting as soon as the Admin API
 * answers (it listens before the workers start). Resolves with how many were accepted.
 */
function churn(admin: string): { stop: () => Promise<number> } {
  let stopping = false;
  let accepted = 0;
  const run = (async () => {
    for (let i = 0; !stopping; i++) {
      try {
        const reply = await postConfig(admin, configSaying(`churn-${i}`));
        assert.equal(reply.status, 201, reply.body);
        accepted++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw error;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await run;
      return accepted;
    },
  };
}

interface WorkerView {
  generation: number;
  restarts: number;
  alive: boolean;
  applied_version: number;
  status: { version: number; config_applies: { full: number; delta: number; failed: number } } | null;
}

async function workers(runtime: Runtime): Promise<WorkerView[]> {
  return (await request(`${runtime.admin}/workers`)).json<{ data: WorkerView[] }>().data;
}

/** A last change, waited for: every worker applies it and the proxy serves it everywhere. */
async function assertConverged(runtime: Runtime, count: number): Promise<void> {
  const reply = await postConfig(runtime.admin, configSaying('final'), true);
  assert.equal(reply.status, 201, reply.body);
  const version = reply.json<{ version: number }>().version;
  const views = await workers(runtime);
  assert.equal(views.length, count);
  for (const view of views) {
    assert.equal(view.alive, true);
    assert.equal(view.applied_version, version);
    assert.equal(view.status?.version, version);
  }
  // Connections spread over the workers (reusePort); each answers from the final config.
  for (let i = 0; i < 10; i++) assert.match((await request(`${runtime.proxy}/x`)).body, /final/);
}

function assertNoCrash(runtime: Runtime): void {
  const bad = runtime.logs.filter((line) => line.msg === 'worker crashed' || line.msg === 'worker exited; respawning' || line.msg === 'worker got a message before its assignment; dropped');
  assert.deepEqual(bad, []);
}

async function startChurningAtBoot(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ runtime: Runtime; accepted: number }> {
  const adminPort = await freePort();
  const admin = `http://127.0.0.1:${adminPort}`;
  const changes = churn(admin);
  const file = await writeConfig(configSaying('boot'), 'kong.json');
  // Stopped only once the runtime is ready (or failed): every worker loaded under churn.
  let runtime: Runtime;
  try {
    runtime = await startRuntime(['--config', file, ...args, '--admin-listen', `127.0.0.1:${adminPort}`], { env, timeoutMs: 60_000 });
  } catch (error) {
    await changes.stop().catch(() => undefined);
    throw error;
  }
  return { runtime, accepted: await changes.stop() };
}

test('config churn while the workers boot: no crash, no restart, every worker converges', { timeout: 120_000 }, async (t) => {
  const { runtime, accepted } = await startChurningAtBoot(['--workers', '2']);
  t.after(() => runtime.stop());
  assert.ok(accepted > 0, 'changes were accepted before the workers were ready');
  assertNoCrash(runtime);
  for (const view of await workers(runtime)) {
    assert.equal(view.generation, 1);
    assert.equal(view.restarts, 0);
  }
  await assertConverged(runtime, 2);
  assertNoCrash(runtime);
});

test('config churn while slow workers load (test hook: 2 s load delay): no crash, every worker converges', { timeout: 120_000 }, async (t) => {
  const { runtime, accepted } = await startChurningAtBoot(['--workers', '2'], { SLUICE_TEST_WORKER_LOAD_DELAY_MS: '2000' });
  t.after(() => runtime.stop());
  // Back-to-back changes for the 2 s the workers took to say loaded.
  assert.ok(accepted >= 5, `${accepted} changes during the load`);
  assertNoCrash(runtime);
  for (const view of await workers(runtime)) {
    assert.equal(view.generation, 1);
    assert.equal(view.restarts, 0);
    // A thread still loading got no config message: it got one snapshot, of the config current when it loaded.
    assert.equal(view.status?.config_applies.full, 1);
  }
  await assertConverged(runtime, 2);
  assertNoCrash(runtime);
});

test('--no-spare: config churn while a dead worker is replaced by a slowly loading thread: one restart, then convergence', { timeout: 120_000 }, async (t) => {
  const file = await writeConfig(configSaying('boot'), 'kong.json');
  const runtime = await startRuntime(['--config', file, '--workers', '2', '--no-spare'], { env: { SLUICE_TEST_WORKER_LOAD_DELAY_MS: '1500' }, timeoutMs: 60_000 });
  t.after(() => runtime.stop());
  assert.equal((await request(`${runtime.admin}/workers/0`, { method: 'DELETE' })).status, 202);
  const changes = churn(runtime.admin);
  let accepted: number;
  try {
    await runtime.waitForLog((line) => line.msg === 'worker ready' && line.worker === 0 && line.generation === 2, 60_000);
  } finally {
    accepted = await changes.stop();
  }
  assert.ok(accepted >= 5, `${accepted} changes while worker 0 was loading`);
  // The one exit is the one asked for; the replacement took every change without dying.
  const exits = runtime.logs.filter((line) => line.msg === 'worker exited; respawning');
  assert.equal(exits.length, 1);
  assert.equal(runtime.logs.filter((line) => line.msg === 'worker got a message before its assignment; dropped').length, 0);
  const views = await workers(runtime);
  assert.deepEqual(views.map((view) => [view.generation, view.restarts]), [[2, 1], [1, 0]]);
  // The worker that stayed up followed every change as a delta.
  assert.equal(views[1]!.status?.config_applies.full, 1);
  await assertConverged(runtime, 2);
  assert.equal(runtime.logs.filter((line) => line.msg === 'worker exited; respawning').length, 1);
});

test('back-to-back changes reach running workers as deltas, never as snapshots', { timeout: 120_000 }, async (t) => {
  const file = await writeConfig(configSaying('boot'), 'kong.json');
  const runtime = await startRuntime(['--config', file, '--workers', '2'], { timeoutMs: 60_000 });
  t.after(() => runtime.stop());
  const CHANGES = 40;
  // Not waited for: each next change is diffed and sent before the workers applied the previous one.
  for (let i = 0; i < CHANGES; i++) assert.equal((await postConfig(runtime.admin, configSaying(`change-${i}`))).status, 201);
  await assertConverged(runtime, 2);
  for (const view of await workers(runtime)) {
    assert.deepEqual(view.status?.config_applies, { full: 1, delta: CHANGES + 1, failed: 0 });
  }
});

test('a config the workers cannot apply: POST /config?wait=1 answers its error at once, the last good config keeps serving', { timeout: 120_000 }, async (t) => {
  const file = await writeConfig(configSaying('one'), 'kong.json');
  // Test hook: every worker throws building config version 3.
  const runtime = await startRuntime(['--config', file, '--workers', '2'], { env: { SLUICE_TEST_WORKER_FAIL_VERSION: '3' }, timeoutMs: 60_000 });
  t.after(() => runtime.stop());
  const two = await postConfig(runtime.admin, configSaying('two'), true);
  assert.equal(two.status, 201, two.body);
  assert.equal(two.json<{ version: number }>().version, 2);

  const three = await postConfig(runtime.admin, configSaying('three'), true);
  assert.equal(three.status, 500, three.body);
  const body = three.json<{ code: string; version: number; workers: Array<{ worker: number; version: number; error: { code: string } }> }>();
  assert.equal(body.code, 'SLUICE_ERR_CONFIG_APPLY_FAILED');
  assert.equal(body.version, 3);
  // Answered on the first refusal (a timeout would have been a 504 after 30 s), naming who refused.
  assert.ok(body.workers.length >= 1);
  for (const refusal of body.workers) {
    assert.ok(refusal.worker === 0 || refusal.worker === 1);
    assert.equal(refusal.version, 3);
    assert.equal(refusal.error.code, 'SLUICE_ERR_CONFIG_APPLY_FAILED');
  }
  for (let i = 0; i < 6; i++) assert.match((await request(`${runtime.proxy}/x`)).body, /two/);
  for (const view of await workers(runtime)) {
    assert.equal(view.applied_version, 2);
    assert.equal(view.status?.config_applies.failed, 1);
  }

  // The next config reaches them as a snapshot and applies; nothing was restarted.
  await assertConverged(runtime, 2);
  assertNoCrash(runtime);
});
