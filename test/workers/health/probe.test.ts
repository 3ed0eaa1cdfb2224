import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { probe } from '../../../workers/health/probe.ts';
import { blackholePort, closedPort, startUpstream } from '../../helpers/upstream.ts';
import { checks } from './fixtures.ts';

const seen: Array<{ url: string; headers: Record<string, unknown> }> = [];
const server = await startUpstream((req, res) => {
  seen.push({ url: req.url ?? '', headers: req.headers });
  if (req.url === '/hang') return;
  res.statusCode = req.url === '/fail' ? 500 : req.url === '/teapot' ? 418 : 200;
  res.end('ok');
});
after(() => server.close());
const target = { host: '127.0.0.1', port: server.port };

test('http: a status in healthy.http_statuses is a success; path and headers are sent', async () => {
  const result = await probe(target, checks({ http_path: '/status', headers: { 'x-probe': ['yes'] } }));
  assert.deepEqual(result, { outcome: 'success' });
  const last = seen.at(-1)!;
  assert.equal(last.url, '/status');
  assert.equal(last.headers['x-probe'], 'yes');
});

test('http: a status in unhealthy.http_statuses is an http failure; one in neither list is ignored', async () => {
  assert.deepEqual(await probe(target, checks({ http_path: '/fail' })), { outcome: 'failure', kind: 'http' });
  assert.deepEqual(await probe(target, checks({ http_path: '/teapot' })), { outcome: 'ignored' });
});

test('http: no answer within timeout is a timeout; a refused connect is a tcp failure', async () => {
  assert.deepEqual(await probe(target, checks({ http_path: '/hang', timeout: 0.2 })), { outcome: 'failure', kind: 'timeout' });
  assert.deepEqual(await probe({ host: '127.0.0.1', port: await closedPort() }, checks()), { outcome: 'failure', kind: 'tcp' });
});

test('tcp: a connect is a success, a refused one a tcp failure, a hanging one a timeout', async (t) => {
  assert.deepEqual(await probe(target, checks({ type: 'tcp' })), { outcome: 'success' });
  assert.deepEqual(await probe({ host: '127.0.0.1', port: await closedPort() }, checks({ type: 'tcp' })), { outcome: 'failure', kind: 'tcp' });
  const hole = await blackholePort();
  t.after(() => hole.close());
  assert.deepEqual(await probe({ host: '127.0.0.1', port: hole.port }, checks({ type: 'tcp', timeout: 0.3 })), { outcome: 'failure', kind: 'timeout' });
});
