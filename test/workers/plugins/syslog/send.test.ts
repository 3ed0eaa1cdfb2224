// syslog: its schema against Kong's, and through the worker's real data path (proxy-harness.ts)
// with a real upstream and a real local receiver — a unix datagram socket this test binds (with the
// plugin's own socket module, workers/logging/unix-dgram.ts), given to the worker as its syslog
// socket (--syslog-socket; Kong has no such field). Severity per status class, log_level
// filtering, facility in the PRI, Kong's shape; a receiver that never reads costs a bounded backlog
// and counted drops, never a stalled worker, and what waited arrives in order once it reads; a
// missing socket counts drops; the instance survives an unrelated reconfigure. A spawned runtime
// shows --syslog-socket reaching the workers.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/syslog.ts';
import { droppedCount } from '../../../../workers/logging/drops.ts';
import { UnixDgramSocket } from '../../../../workers/logging/unix-dgram.ts';
import { MAX_BACKLOG_BYTES, type Syslog } from '../../../../workers/plugins/syslog/handler.ts';
import { request } from '../../../helpers/http.ts';
import { startRuntime, writeConfig } from '../../../helpers/runtime.ts';
import { startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { assertEntryShape, eventually, instanceOf, logDoc, SHAPED_REQUEST, type Entry } from '../logging/entries.ts';
import { startProxy } from '../proxy-harness.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

interface Receiver {
  path: string;
  /** What was read so far (read() or the polling of a reading receiver). */
  messages: string[];
  /** Reads every datagram waiting now. */
  read(): void;
  close(): void;
}

/** A unix datagram socket bound in a fresh directory; `reading`: polled every 10 ms, else never read until read(). */
async function receiver(reading = true): Promise<Receiver> {
  const path = join(await mkdtemp(join(tmpdir(), 'sluice-syslog-')), 'log.sock');
  const socket = new UnixDgramSocket();
  assert.equal(socket.bind(path), 0);
  const messages: string[] = [];
  const read = (): void => {
    for (let data = socket.receive(); data !== null; data = socket.receive()) messages.push(data.toString());
  };
  const poll = reading ? setInterval(read, 10) : null;
  return {
    path,
    messages,
    read,
    close: () => {
      if (poll !== null) clearInterval(poll);
      socket.close();
    },
  };
}

/** Answers with the status in the path's last segment (`/log/503` → 503), JSON like the echo upstream. */
function statusHandler(req: IncomingMessage, res: ServerResponse): void {
  const status = Number(/\/(\d{3})$/.exec(req.url?.split('?')[0] ?? '')?.[1] ?? 200);
  req.resume();
  req.on('end', () => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{}');
  });
}

const PATTERN = /^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d kong\[\d+\]: (\{.*\})$/s;

function parse(message: string): { pri: number; entry: Entry } {
  const match = PATTERN.exec(message);
  assert.ok(match !== null, `syslog(3) format: ${message.slice(0, 80)}`);
  return { pri: Number(match[1]), entry: JSON.parse(match[2]!) as Entry };
}

test("defaults are Kong's; refusals name their field", () => {
  const expected: Config = { log_level: 'info', successful_severity: 'info', client_errors_severity: 'info', server_errors_severity: 'info', custom_fields_by_lua: null, facility: 'user' };
  assert.deepEqual(pluginConfig('syslog'), expected);
  assert.deepEqual(refusals('syslog', '{ log_level: loud, facility: local9 }'), [
    ['config.facility', 'expected one of: auth, authpriv, cron, daemon, ftp, kern, lpr, mail, news, syslog, user, uucp, local0, local1, local2, local3, local4, local5, local6, local7'],
    ['config.log_level', 'expected one of: debug, info, notice, warning, err, crit, alert, emerg'],
  ]);
  assert.match(refusals('syslog', '{ custom_fields_by_lua: { a: "return 1" } }')[0]![1], /not supported by Sluice/);
});

test("entries reach the local syslog socket with the facility and each status class's severity, in Kong's shape", async (t) => {
  const upstream = await startUpstream(statusHandler);
  const logs = await receiver();
  t.after(() => (logs.close(), upstream.close()));
  const config = { facility: 'local3', log_level: 'warning', successful_severity: 'info', client_errors_severity: 'warning', server_errors_severity: 'crit' };
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'syslog', config })), [], '127.0.0.1', { syslogSocket: logs.path });
  // 200 at info is below log_level warning: not sent (Kong: LOG_PRIORITIES[severity] <= LOG_PRIORITIES[log_level]).
  assert.equal((await request(`${proxy.url}/log/200`)).status, 200);
  assert.equal((await request(`${proxy.url}/log/404`)).status, 404);
  assert.equal((await request(`${proxy.url}/log/503`)).status, 503);
  await eventually(() => (logs.messages.length === 2 ? true : undefined), 'two messages');
  const [client, server] = logs.messages.map(parse);
  // local3 = 19; warning = 4, crit = 2.
  assert.equal(client!.pri, 19 * 8 + 4);
  assert.equal(client!.entry.response.status, 404);
  assert.equal(server!.pri, 19 * 8 + 2);
  assert.equal(server!.entry.response.status, 503);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(logs.messages.length, 2, 'the 200 stayed below log_level');
});

test("with Kong's defaults every request is sent at user.info, in Kong's shape", async (t) => {
  const upstream = await startUpstream((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  const logs = await receiver();
  t.after(() => (logs.close(), upstream.close()));
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'syslog' })), [], '127.0.0.1', { syslogSocket: logs.path });
  await request(`${proxy.url}${SHAPED_REQUEST.path}`, { headers: SHAPED_REQUEST.headers('sys') });
  const { pri, entry } = parse(await eventually(() => logs.messages[0], 'the message'));
  assert.equal(pri, 1 * 8 + 6);
  assertEntryShape(entry, 'sys');
});

test('a receiver that never reads: the backlog stays bounded, the rest is dropped and counted, requests answered; it arrives in order once read', async (t) => {
  const upstream = await startUpstream(statusHandler);
  const logs = await receiver(false);
  t.after(() => (logs.close(), upstream.close()));
  const first = snapshotOf(logDoc(upstream.url, { name: 'syslog' }));
  const proxy = await startProxy(t, first, [], '127.0.0.1', { syslogSocket: logs.path });
  const before = await droppedCount('syslog', 'backlog');
  // ~8 KiB entries: the daemon's queue fills after a few, the 1 MiB backlog after ~128 more.
  const pad = 'p'.repeat(8000);
  const REQUESTS = 200;
  for (let i = 0; i < REQUESTS; i++) {
    // `/log/n<i>`: statusHandler answers 200 (a three-digit last segment would be its status).
    assert.equal((await request(`${proxy.url}/log/n${i}`, { headers: { 'x-pad': pad } })).status, 200);
    // The instance is made on the first request that needs it.
    const sender = (instanceOf(proxy, first, 'syslog') as Syslog).sender;
    assert.ok(sender.backlogBytes <= MAX_BACKLOG_BYTES, `backlog ${sender.backlogBytes} B within its bound`);
  }
  const sender = (instanceOf(proxy, first, 'syslog') as Syslog).sender;
  const dropped = (await droppedCount('syslog', 'backlog')) - before;
  assert.ok(dropped > 0, 'entries past the backlog were dropped and counted');
  assert.ok(sender.backlogBytes > MAX_BACKLOG_BYTES / 2, 'the backlog held what it could');
  // The receiver starts reading: the backlog drains, oldest first, through the retries on the wheel.
  const drained = await eventually(() => {
    logs.read();
    return sender.backlogBytes === 0 ? logs.messages.length : undefined;
  }, 'the backlog drained');
  assert.equal(drained + dropped, REQUESTS, 'each entry was either delivered or counted as dropped');
  const uris = logs.messages.map((message) => parse(message).entry.request.uri);
  assert.deepEqual(uris, [...uris].sort((a, b) => Number(a.slice(6)) - Number(b.slice(6))), 'in order');
  assert.equal(uris[0], '/log/n0');
});

test('no socket at the path: entries are dropped and counted, requests answered', async (t) => {
  const upstream = await startUpstream(statusHandler);
  t.after(() => upstream.close());
  const missing = join(await mkdtemp(join(tmpdir(), 'sluice-syslog-')), 'none.sock');
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'syslog' })), [], '127.0.0.1', { syslogSocket: missing });
  const before = await droppedCount('syslog', 'send_failed');
  for (let i = 0; i < 3; i++) assert.equal((await request(`${proxy.url}/log/200`)).status, 200);
  await eventually(async () => ((await droppedCount('syslog', 'send_failed')) >= before + 3 ? true : undefined), 'three drops counted');
});

test('the instance survives an unrelated reconfigure', async (t) => {
  const upstream = await startUpstream(statusHandler);
  const logs = await receiver();
  t.after(() => (logs.close(), upstream.close()));
  const first = snapshotOf(logDoc(upstream.url, { name: 'syslog' }));
  const proxy = await startProxy(t, first, [], '127.0.0.1', { syslogSocket: logs.path });
  await request(`${proxy.url}/log/200`);
  const instance = instanceOf(proxy, first, 'syslog');
  proxy.install(snapshotOf(logDoc(upstream.url, { name: 'syslog' }, true), [], 2));
  assert.equal((await request(`${proxy.url}/other`)).status, 200);
  await request(`${proxy.url}/log/200`);
  await eventually(() => logs.messages[1], 'second message');
  assert.equal(instanceOf(proxy, proxy.state.snapshot, 'syslog'), instance);
});

test('--syslog-socket reaches the workers of a running gateway', async (t) => {
  const upstream = await startUpstream(statusHandler);
  const logs = await receiver();
  t.after(() => (logs.close(), upstream.close()));
  const config = await writeConfig(`_format_version: "3.0"\nservices:\n  - name: s\n    url: ${upstream.url}\n    routes:\n      - name: r\n        paths: [/]\nplugins:\n  - name: syslog\n`);
  const runtime = await startRuntime(['--config', config, '--workers', '1', '--no-spare', '--syslog-socket', logs.path]);
  t.after(() => runtime.stop());
  assert.equal((await request(`${runtime.proxy}/via-runtime`)).status, 200);
  const { entry } = parse(await eventually(() => logs.messages[0], 'the message from the runtime'));
  assert.equal(entry.request.uri, '/via-runtime');
});
