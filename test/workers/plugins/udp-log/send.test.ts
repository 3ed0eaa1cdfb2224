// udp-log: its schema against Kong's, and through the worker's real data path (proxy-harness.ts)
// with a real upstream and a real UDP receiver: one datagram of JSON per request in Kong's shape,
// and the instance and its socket surviving an unrelated reconfigure.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/udp-log.ts';
import { request } from '../../../helpers/http.ts';
import { echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { assertEntryShape, eventually, instanceOf, logDoc, SHAPED_REQUEST, type Entry } from '../logging/entries.ts';
import { startProxy } from '../proxy-harness.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

async function receiver(): Promise<{ port: number; datagrams: string[]; close(): void }> {
  const socket = createSocket('udp4');
  const datagrams: string[] = [];
  socket.on('message', (message) => datagrams.push(message.toString()));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, datagrams, close: () => socket.close() };
}

test("defaults are Kong's; refusals name their field", () => {
  const expected: Config = { host: '127.0.0.1', port: 514, timeout: 10000, custom_fields_by_lua: null };
  assert.deepEqual(pluginConfig('udp-log', '{ host: 127.0.0.1, port: 514 }'), expected);
  assert.deepEqual(refusals('udp-log', '{ host: "a b", port: -1 }'), [
    ['config.host', 'invalid value: must be a host name or an IP address'],
    ['config.port', 'value should be between 0 and 65535'],
  ]);
  assert.match(refusals('udp-log', '{ host: h, port: 1, custom_fields_by_lua: { a: "return 1" } }')[0]![1], /not supported by Sluice/);
});

test("one datagram of JSON per request, in Kong's shape", async (t) => {
  const upstream = await startUpstream(echoHandler);
  const logs = await receiver();
  t.after(() => (logs.close(), upstream.close()));
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'udp-log', config: { host: '127.0.0.1', port: logs.port } })));
  assert.equal((await request(`${proxy.url}${SHAPED_REQUEST.path}`, { headers: SHAPED_REQUEST.headers('udp') })).status, 200);
  const datagram = await eventually(() => logs.datagrams[0], 'the datagram');
  // Kong sends the JSON alone, no newline.
  assert.ok(datagram.endsWith('}'));
  assertEntryShape(JSON.parse(datagram) as Entry, 'udp');
});

test('the instance and its socket survive an unrelated reconfigure', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const logs = await receiver();
  t.after(() => (logs.close(), upstream.close()));
  const plugin = { name: 'udp-log', config: { host: '127.0.0.1', port: logs.port } };
  const first = snapshotOf(logDoc(upstream.url, plugin));
  const proxy = await startProxy(t, first);
  await request(`${proxy.url}/log/1`);
  await eventually(() => logs.datagrams[0], 'first datagram');
  const instance = instanceOf(proxy, first, 'udp-log') as unknown as { target: { sent: number } };
  proxy.install(snapshotOf(logDoc(upstream.url, plugin, true), [], 2));
  assert.equal((await request(`${proxy.url}/other`)).status, 200);
  await request(`${proxy.url}/log/2`);
  await eventually(() => logs.datagrams[1], 'second datagram');
  assert.equal(instanceOf(proxy, proxy.state.snapshot, 'udp-log'), instance as unknown, 'same instance');
  assert.equal(instance.target.sent, 2, 'both through the same socket');
});
