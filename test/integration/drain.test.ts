// SIGTERM's lame-duck drain and a handover between two runtimes on one port, over real sockets
// (issue #19): keep-alive clients are told `Connection: close` and lose no request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from '../helpers/http.ts';
import { RawConnection, type RawResponse } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
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

function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nhost: test\r\n\r\n`;
}

/** Resolves once every worker of `runtime` has logged that it is draining. */
async function workersDraining(runtime: Runtime, workers: number): Promise<void> {
  for (let index = 0; index < workers; index++) {
    await runtime.waitForLog((line) => line.msg === 'worker draining' && line.worker === index);
  }
}

test('after SIGTERM a keep-alive client gets its next response with Connection: close, then the close', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  // A grace far longer than this test needs: the idle connection must still be open when it asks.
  const runtime = await startRuntime(['--config', await configFor(upstream.url), '--workers', '1', '--drain-idle-grace', '60000', '--drain-timeout', '120000'], { timeoutMs: 120_000 });
  t.after(() => runtime.stop('SIGKILL'));
  const client = await RawConnection.open(runtime.proxy);
  t.after(() => client.destroy());
  client.write(get('/before'));
  const before = await client.readResponse();
  assert.equal(before.status, 200);
  assert.equal(before.headers.connection, 'keep-alive');

  runtime.child.kill('SIGTERM');
  await workersDraining(runtime, 1);
  assert.equal((await request(`${runtime.admin}/status/ready`)).status, 503, 'a draining node is not ready');
  // The connection was idle when the drain began: it is still open, and the request is served.
  assert.equal(client.ended, false);
  client.write(get('/after'));
  const after = await client.readResponse();
  assert.equal(after.status, 200);
  assert.equal(after.headers.connection, 'close');
  await client.waitForEnd();
  // That was the last connection: the runtime exits without waiting for its drain timeout.
  assert.equal(await runtime.stop(), 0);
});

test('a request in flight at SIGTERM finishes, its response says close; an idle connection is closed after the grace', async (t) => {
  let release: (() => void) | null = null;
  const upstream = await startUpstream((req, res) => {
    if (req.url === '/slow') release = () => res.end('slow but complete');
    else echoHandler(req, res);
  });
  t.after(() => upstream.close());
  const runtime = await startRuntime(['--config', await configFor(upstream.url), '--workers', '1', '--drain-idle-grace', '300', '--drain-timeout', '120000'], { timeoutMs: 120_000 });
  t.after(() => runtime.stop('SIGKILL'));
  const busy = await RawConnection.open(runtime.proxy);
  const idle = await RawConnection.open(runtime.proxy);
  t.after(() => (busy.destroy(), idle.destroy()));
  idle.write(get('/warm'));
  assert.equal((await idle.readResponse()).headers.connection, 'keep-alive');
  busy.write(get('/slow'));
  while (release === null) await new Promise((resolve) => setTimeout(resolve, 20));

  runtime.child.kill('SIGTERM');
  await workersDraining(runtime, 1);
  // The idle one goes once its grace is over, while the slow request is still running.
  await idle.waitForEnd(60_000);
  assert.equal(busy.ended, false);
  (release as () => void)();
  const slow: RawResponse = await busy.readResponse({ timeoutMs: 60_000 });
  assert.equal(slow.status, 200);
  assert.equal(slow.body.toString(), 'slow but complete');
  assert.equal(slow.headers.connection, 'close');
  await busy.waitForEnd();
  assert.equal(await runtime.stop(), 0);
});

interface Load {
  ok: number;
  failures: string[];
  stop(): Promise<void>;
}

/**
 * `clients` keep-alive loops against `url`: each sends a request, reads its response, and opens a
 * new connection only when the server said close (as any keep-alive client does). A request that
 * gets no complete response is a failure.
 */
function keepAliveLoad(url: string, clients: number): Load {
  let running = true;
  const load: Load = { ok: 0, failures: [], stop: async () => {} };
  const loops = Array.from({ length: clients }, async (_, index) => {
    let connection: RawConnection | null = null;
    let sent = 0;
    while (running) {
      try {
        connection ??= await RawConnection.open(url);
        connection.write(get(`/load/${index}/${sent++}`));
        const response = await connection.readResponse({ timeoutMs: 30_000 });
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        load.ok++;
        if (response.headers.connection === 'close') {
          await connection.waitForEnd();
          connection.destroy();
          connection = null;
        }
      } catch (error) {
        load.failures.push(`client ${index}: ${(error as Error).message}`);
        connection?.destroy();
        connection = null;
      }
    }
    connection?.destroy();
  });
  load.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return load;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

test('a handover between two runtimes on one port under keep-alive load fails no request', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const config = await configFor(upstream.url);
  const old = await startRuntime(['--config', config, '--workers', '2'], { timeoutMs: 120_000 });
  t.after(() => old.stop('SIGKILL'));
  const port = new URL(old.proxy).port;
  const load = keepAliveLoad(old.proxy, 8);
  t.after(() => load.stop());
  await until(() => load.ok >= 100 || load.failures.length > 0);

  // The new runtime joins the port (reusePort) and is ready once every worker listens.
  const next = await startRuntime(['--config', config, '--workers', '2', '--port', port], { timeoutMs: 120_000 });
  t.after(() => next.stop('SIGKILL'));
  assert.equal((await request(`${next.admin}/status/ready`)).status, 200);
  const status = (await request(`${next.admin}/status`)).json<{ ready: boolean }>();
  assert.equal(status.ready, true);

  assert.equal(await old.stop('SIGTERM'), 0);
  const handedOver = load.ok;
  await until(() => load.ok >= handedOver + 100 || load.failures.length > 0);
  await load.stop();
  assert.deepEqual(load.failures, []);
  const served = (await request(`${next.admin}/status`)).json<{ totals: { requests: number } }>();
  assert.ok(served.totals.requests >= 100, `the new runtime served ${served.totals.requests} requests`);
});
