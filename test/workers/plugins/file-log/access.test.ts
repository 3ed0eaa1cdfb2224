// file-log through the worker's real data path (proxy-harness.ts), a real upstream and a real file:
// entries in Kong's serializer shape, one JSON line each; `reopen: true` follows a renamed file;
// the instance and its writer survive an unrelated reconfigure.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { reopenLogFiles } from '../../../../workers/plugins/file-log/files.ts';
import { snapshotOf } from '../helpers.ts';
import { assertEntryShape, eventually, type Entry, instanceOf, logDoc, SHAPED_REQUEST } from '../logging/entries.ts';
import { startProxy } from '../proxy-harness.ts';

async function lines(path: string): Promise<Entry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Entry);
}

async function linesWith(path: string, n: number): Promise<Entry[]> {
  return eventually(async () => {
    const got = await lines(path);
    return got.length >= n ? got : undefined;
  }, `${n} lines in ${path}`);
}

test('each request is one JSON line in Kong\'s serializer shape', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-log-'));
  const path = join(dir, 'access.log');
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'file-log', config: { path } })));
  const reply = await request(`${proxy.url}${SHAPED_REQUEST.path}`, { headers: SHAPED_REQUEST.headers('one') });
  assert.equal(reply.status, 200);
  // The credentials reach the upstream untouched: only the log entry is redacted.
  assert.equal(reply.json<{ headers: Record<string, string> }>().headers.authorization, 'secret');
  const [entry] = await linesWith(path, 1);
  assertEntryShape(entry!, 'one');

  // A plugin exit (404 here: no route) is not logged by a route plugin; a second request is a second line.
  await request(`${proxy.url}/log/second`);
  const both = await linesWith(path, 2);
  assert.equal(both[1]!.request.uri, '/log/second');
});

test('reopen: true opens the path anew for each write, so a renamed file is left behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-log-'));
  const path = join(dir, 'access.log');
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'file-log', config: { path, reopen: true } })));
  await request(`${proxy.url}/log/before`);
  await linesWith(path, 1);
  await rename(path, `${path}.1`);
  await request(`${proxy.url}/log/after`);
  const fresh = await linesWith(path, 1);
  assert.equal(fresh[0]!.request.uri, '/log/after');
  assert.deepEqual((await lines(`${path}.1`)).map((l) => l.request.uri), ['/log/before']);
});

test('without reopen the descriptor is kept (a renamed file keeps getting lines) until the files are reopened', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-log-'));
  const path = join(dir, 'access.log');
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'file-log', config: { path } })));
  await request(`${proxy.url}/log/1`);
  await linesWith(path, 1);
  await rename(path, `${path}.1`);
  await request(`${proxy.url}/log/2`);
  await linesWith(`${path}.1`, 2);
  // What the worker does when the primary relays SIGUSR1 (the spawned-runtime test sends the signal).
  assert.ok(reopenLogFiles() >= 1);
  await request(`${proxy.url}/log/3`);
  const fresh = await linesWith(path, 1);
  assert.deepEqual(fresh.map((l) => l.request.uri), ['/log/3']);
  assert.equal((await lines(`${path}.1`)).length, 2);
});

test('the instance and its file survive an unrelated reconfigure', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-log-'));
  const path = join(dir, 'access.log');
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const first = snapshotOf(logDoc(upstream.url, { name: 'file-log', config: { path } }));
  const proxy = await startProxy(t, first);
  await request(`${proxy.url}/log/1`);
  await linesWith(path, 1);
  const before = instanceOf(proxy, first, 'file-log');
  assert.ok(before !== null);
  const second = snapshotOf(logDoc(upstream.url, { name: 'file-log', config: { path } }, true), [], 2);
  proxy.install(second);
  assert.equal((await request(`${proxy.url}/other`)).status, 200);
  await request(`${proxy.url}/log/2`);
  assert.equal(instanceOf(proxy, proxy.state.snapshot, 'file-log'), before, 'same instance');
  // Same writer: had the instance been closed and remade, the file would still work, but the
  // instance identity above is what shows it was kept; the lines show it still writes.
  const all = await linesWith(path, 2);
  assert.deepEqual(all.map((l) => l.request.uri), ['/log/1', '/log/2']);
});
