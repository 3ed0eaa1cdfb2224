// The listener's configurable edge behaviour, each option against its own runtime (one worker):
// --underscore-headers reject and allow, --max-connections. The defaults are in edge.test.ts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test, type TestContext } from 'node:test';
import { RawConnection } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/** Answers with the raw headers it received. */
function echoRaw(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    const body = JSON.stringify(req.rawHeaders);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

async function start(t: TestContext, args: string[]): Promise<{ runtime: Runtime; app: Upstream }> {
  const app = await startUpstream(echoRaw);
  t.after(() => app.close());
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${app.url}
    routes:
      - name: app
        paths: [/]
`);
  const runtime = await startRuntime(['--config', config, '--workers', '1', ...args]);
  t.after(() => runtime.stop());
  return { runtime, app };
}

async function open(t: TestContext, runtime: Runtime): Promise<RawConnection> {
  const connection = await RawConnection.open(runtime.proxy);
  t.after(() => connection.destroy());
  return connection;
}

const UNDERSCORES = 'X_Custom: 1\r\nX_Forwarded_For: 6.6.6.6\r\nContent_Length: 5\r\ntransfer_encoding: chunked\r\n';

test('--underscore-headers reject: a header name with "_" gets 400 and the close', async (t) => {
  const { runtime } = await start(t, ['--underscore-headers', 'reject']);
  const connection = await open(t, runtime);
  connection.write(`GET /u HTTP/1.1\r\nHost: sluice.test\r\nX_Custom: 1\r\n\r\n`);
  const response = await connection.readResponse();
  assert.equal(response.status, 400);
  assert.equal(response.headers.connection, 'close');
  await connection.waitForEnd();
  // Names without one are served.
  const clean = await open(t, runtime);
  clean.write(`GET /u HTTP/1.1\r\nHost: sluice.test\r\nX-Custom: 1\r\n\r\n`);
  assert.equal((await clean.readResponse()).status, 200);
});

test('--underscore-headers allow: names with "_" are forwarded, except those that fold to a framing header', async (t) => {
  const { runtime } = await start(t, ['--underscore-headers', 'allow']);
  const connection = await open(t, runtime);
  connection.write(`GET /u HTTP/1.1\r\nHost: sluice.test\r\n${UNDERSCORES}\r\n`);
  const response = await connection.readResponse();
  assert.equal(response.status, 200);
  const names = (JSON.parse(response.body.toString('latin1')) as string[]).filter((_, i) => i % 2 === 0);
  assert.ok(names.includes('X_Custom'));
  assert.ok(names.includes('X_Forwarded_For'));
  assert.equal(names.includes('Content_Length'), false);
  assert.equal(names.includes('transfer_encoding'), false);
});

test('--max-connections 2: a third connection is closed unanswered; once one closes, a new one is served', async (t) => {
  const { runtime } = await start(t, ['--max-connections', '2']);
  const first = await open(t, runtime);
  const second = await open(t, runtime);
  for (const connection of [first, second]) {
    connection.write('GET /m HTTP/1.1\r\nHost: sluice.test\r\n\r\n');
    assert.equal((await connection.readResponse()).status, 200);
  }
  const third = await open(t, runtime);
  third.write('GET /m HTTP/1.1\r\nHost: sluice.test\r\n\r\n');
  await third.waitForEnd();
  assert.equal(third.pending.length, 0, 'the connection over the limit was answered');
  first.destroy();
  await once(first.socket, 'close');
  // The worker sees the close a moment later: retry until it has (bounded by the test timeout).
  for (;;) {
    const next = await open(t, runtime);
    next.write('GET /m HTTP/1.1\r\nHost: sluice.test\r\n\r\n');
    try {
      assert.equal((await next.readResponse()).status, 200);
      break;
    } catch {
      next.destroy();
    }
  }
});
