// logrotate against the real runtime: the file is renamed, SIGUSR1 goes to the process a user
// started (`node runtime`, which relays it to the gateway), the primary tells every worker, and
// from then on entries land in a new file at the configured path while the renamed one gets no more.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { startRuntime, writeConfig } from '../../../helpers/runtime.ts';
import { echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { eventually } from '../logging/entries.ts';

async function uris(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as { request: { uri: string } }).request.uri);
}

test('SIGUSR1 makes every worker reopen its file-log files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-log-'));
  const path = join(dir, 'access.log');
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const config = await writeConfig(
    `_format_version: "3.0"\nservices:\n  - name: s\n    url: ${upstream.url}\n    routes:\n      - name: r\n        paths: [/]\nplugins:\n  - name: file-log\n    config:\n      path: ${path}\n`,
  );
  const runtime = await startRuntime(['--config', config, '--workers', '2', '--no-spare']);
  t.after(() => runtime.stop());

  // Several connections, so both workers (SO_REUSEPORT spreads them) have the file open.
  for (let i = 0; i < 8; i++) assert.equal((await request(`${runtime.proxy}/before/${i}`)).status, 200);
  await eventually(async () => ((await uris(path)).length === 8 ? true : undefined), '8 lines before rotation');

  await rename(path, `${path}.1`);
  runtime.child.kill('SIGUSR1');
  await runtime.waitForLog((line) => line.msg === 'SIGUSR1: reopening log files' && line.workers === 2);
  // Each worker says so once it has the message; a request after that goes to the new file.
  await eventually(() => (runtime.logs.filter((line) => line.msg === 'log files will be reopened (SIGUSR1)').length === 2 ? true : undefined), 'both workers told');

  for (let i = 0; i < 8; i++) assert.equal((await request(`${runtime.proxy}/after/${i}`)).status, 200);
  const fresh = await eventually(async () => {
    const got = await uris(path);
    return got.length === 8 ? got : undefined;
  }, '8 lines in the new file');
  assert.ok(fresh.every((uri) => uri.startsWith('/after/')), JSON.stringify(fresh));
  const rotated = await uris(`${path}.1`);
  assert.equal(rotated.length, 8);
  assert.ok(rotated.every((uri) => uri.startsWith('/before/')));
});
