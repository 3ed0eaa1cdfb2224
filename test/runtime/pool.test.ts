// The config thread's heap limit (runtime/pool.ts): a config too large to prepare is rejected like
// an invalid one, and the next config is prepared by a fresh thread. Runs a real piscina thread
// with a small limit (the test process has no process-wide --max-old-space-size to override it).
// The limit must leave room for a thread to start: loading the task module takes 10-12 MiB of old
// generation, and piscina never replaces a thread again once a replacement dies while starting (the
// next task would wait forever). 16 MiB was too close: under load, 1 run in ~20 hung that way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TaskPool } from '../../runtime/pool.ts';

function config(routes: number): string {
  const list = Array.from({ length: routes }, (_, i) => ({ name: `r${i}`, paths: [`/p${i}`] }));
  return JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: 'http://127.0.0.1:9', routes: list }] });
}

test('a config that exhausts the config thread heap is rejected with SLUICE_ERR_CONFIG_TOO_LARGE, and the pool recovers', async () => {
  const pool = new TaskPool(64);
  try {
    const huge = await pool.prepareConfig({ text: config(150_000), format: 'json' });
    assert.equal('ok' in huge && huge.ok, false);
    assert.ok('code' in huge);
    assert.equal(huge.code, 'SLUICE_ERR_CONFIG_TOO_LARGE');
    const small = await pool.prepareConfig({ text: config(10), format: 'json' });
    assert.ok('ok' in small && small.ok, 'a fresh thread prepares the next config');
  } finally {
    await pool.close();
  }
});
