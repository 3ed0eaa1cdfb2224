// The config thread's heap limit (runtime/pool.ts): a config too large to prepare is rejected like
// an invalid one, and the next config is prepared by a fresh thread. Runs a real piscina thread
// with a small limit (the test process has no process-wide --max-old-space-size to override it).
// The limit must leave room for a thread to start: loading the task module takes 10-12 MiB of old
// generation, and piscina never replaces a thread again once a replacement dies while starting (the
// next task would wait forever). 16 MiB was too close: under load, 1 run in ~20 hung that way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { TaskPool } from '../../runtime/pool.ts';
import { BACKGROUND_NICE_STEP, lowerThreadPriority, threadPriority } from '../../runtime/protocol/thread-priority.ts';

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

/** Every thread of this process with its nice value, from /proc. */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nices;
}

test('the config thread runs --background-nice levels below the thread that started it (0: not lowered); bytes are decoded there', async () => {
  const own = threadPriority();
  if (process.platform !== 'linux' || own === null) {
    assert.equal(lowerThreadPriority(), null, 'not done off Linux');
    return;
  }
  const before = new Set(threadNices().keys());
  const same = new TaskPool(256, 0);
  try {
    assert.ok('ok' in (await same.prepareConfig({ text: config(1), format: 'json' })));
    const started = [...threadNices()].filter(([tid]) => !before.has(tid));
    assert.ok(started.length > 0 && started.every(([, nice]) => nice === own.nice), `no thread lowered: ${JSON.stringify(started)}`);
  } finally {
    await same.close();
  }
  const pool = new TaskPool(256);
  try {
    // The config as UTF-8 bytes, a multi-byte name included: the thread decodes it.
    const answer = await pool.prepareConfig({ text: Buffer.from(config(3).replace('"r1"', '"r\u00e9"')), format: 'json' });
    assert.ok('ok' in answer && answer.ok && !('base' in answer));
    assert.ok(Object.values(answer.entities.routes).some((r) => r.name === 'r\u00e9'));
    // Bytes in shared memory (how the Admin API hands a body over): read there, not copied.
    const text = config(4);
    const shared = Buffer.from(new SharedArrayBuffer(text.length + 2), 1, text.length);
    shared.write(text);
    const fromShared = await pool.prepareConfig({ text: shared, format: 'json' });
    assert.ok('ok' in fromShared && fromShared.ok && !('base' in fromShared));
    assert.equal(Object.keys(fromShared.entities.routes).length, 4);
    const started = [...threadNices()].filter(([tid]) => !before.has(tid));
    const expected = Math.min(19, own.nice + BACKGROUND_NICE_STEP);
    assert.ok(started.some(([, nice]) => nice === expected), `a new thread at nice ${expected}: ${JSON.stringify(started)}`);
    // This thread, and so the workers it would start, keeps its own priority.
    assert.equal(threadPriority()?.nice, own.nice);
  } finally {
    await pool.close();
  }
});
