// The shared rate-limiting counter table on the real runtime (issue #12, item 9): sized by
// --rate-limit-slots, it holds 100k live keys by default and a new key is still limited exactly
// across two workers; when a (deliberately tiny) table is full, requests of new keys pass only
// where Kong's fault_tolerant would, are counted in sluice_rate_limiting_table_full_total, and are
// warned about at most once a second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'node:net';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig } from '../helpers/runtime.ts';

function limitedConfig(routes: Array<{ path: string; faultTolerant: boolean }>, limits: Record<string, number> = { hour: 3 }): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: routes.map(({ path, faultTolerant }, i) => ({
      name: `svc-${i}`,
      url: 'http://127.0.0.1:1',
      routes: [{ name: `route-${i}`, paths: [path] }],
      plugins: [{ name: 'rate-limiting', config: { ...limits, limit_by: 'header', header_name: 'x-key', fault_tolerant: faultTolerant, policy: 'local' } }],
    })),
    // Answers every request that gets past rate-limiting (priority 910 runs before it).
    plugins: [{ name: 'request-termination', config: { status_code: 200, message: 'passed' } }],
  });
}

/**
 * Sends `GET /` with `x-key: key-N` for every N < total with N % stride === offset, pipelined in
 * batches of 500 over one connection; resolves with how many were answered 200.
 */
async function sendKeys(proxy: string, offset: number, stride: number, total: number): Promise<number> {
  const { hostname, port } = new URL(proxy);
  const socket = connect(Number(port), hostname);
  socket.setNoDelay(true);
  const STATUS_LINE = 'HTTP/1.1 ';
  let ok = 0;
  let answered = 0;
  let tail = '';
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    const text = tail + chunk.toString('latin1');
    let at = text.indexOf(STATUS_LINE);
    let last = 0;
    while (at !== -1 && at + STATUS_LINE.length + 3 <= text.length) {
      answered++;
      if (text.startsWith('200', at + STATUS_LINE.length)) ok++;
      last = at + STATUS_LINE.length + 3;
      at = text.indexOf(STATUS_LINE, last);
    }
    tail = text.slice(Math.max(last, text.length - STATUS_LINE.length - 3));
    wake?.();
  });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let sent = 0;
  for (let key = offset; key < total; ) {
    let batch = '';
    for (let i = 0; i < 500 && key < total; i++, key += stride, sent++) batch += `GET / HTTP/1.1\r\nHost: x\r\nx-key: key-${key}\r\n\r\n`;
    socket.write(batch);
    // At most two batches in flight: the gateway's output stays bounded.
    while (answered < sent - 500) await new Promise<void>((resolve) => (wake = resolve));
  }
  while (answered < sent) await new Promise<void>((resolve) => (wake = resolve));
  socket.destroy();
  return ok;
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line !== undefined, `${name} exported`);
  return Number(line.split(' ')[1]);
}

test('100k live keys in the default table: a new key is still limited exactly by a `second` limit across two workers', { timeout: 300_000 }, async (t) => {
  // The hour window keeps all 100k keys live in the table; the second window is the one the new
  // key is held to.
  const file = await writeConfig(limitedConfig([{ path: '/', faultTolerant: true }], { second: 3, hour: 1000 }), 'kong.json');
  const runtime = await startRuntime(['--config', file, '--workers', '2', '--keepalive-requests', '1000000'], { timeoutMs: 60_000 });
  t.after(() => runtime.stop());
  const KEYS = 100_000;
  // Raw pipelined requests on a few connections, in batches: the client costs next to nothing, so
  // the run measures the gateway. Each connection counts the 200s in what it reads back.
  const passed = await Promise.all(Array.from({ length: 4 }, (_, c) => sendKeys(runtime.proxy, c, 4, KEYS)));
  assert.equal(passed.reduce((a, b) => a + b, 0), KEYS, 'each key is within its limits');

  // 20 requests of a new key on 20 fresh connections at once (the kernel spreads them over both
  // workers), started early in a clock second. The gateway counts by the same clock, so when the
  // last answer arrives within the second the first was sent in, all 20 fell in one window and
  // exactly 3 pass. An attempt that straddles a second boundary proves nothing: try again with
  // another new key.
  let checked = false;
  for (let attempt = 0; attempt < 8 && !checked; attempt++) {
    while (Date.now() % 1000 > 100) await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 20 }, () => request(`${runtime.proxy}/`, { headers: { 'x-key': `the-new-key-${attempt}`, connection: 'close' } })));
    if (Math.floor(Date.now() / 1000) !== Math.floor(started / 1000)) continue;
    const statuses = replies.map((reply) => reply.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, ...Array<number>(17).fill(429)]);
    for (const reply of replies) assert.equal(reply.headers['x-ratelimit-limit-second'], '3');
    checked = true;
  }
  assert.ok(checked, 'no attempt fitted in one clock second');
  const metrics = (await request(`${runtime.admin}/metrics`)).body;
  assert.equal(metric(metrics, 'sluice_rate_limiting_table_full_total'), 0);
});

test('a full table: new keys pass only with fault_tolerant, else 500; counted in a metric and warned about once a second', { timeout: 120_000 }, async (t) => {
  const file = await writeConfig(limitedConfig([{ path: '/tolerant', faultTolerant: true }, { path: '/strict', faultTolerant: false }]), 'kong.json');
  // 16 slots per period: the smallest table, so 16 keys fill it.
  const runtime = await startRuntime(['--config', file, '--workers', '2', '--rate-limit-slots', '16'], { timeoutMs: 60_000 });
  t.after(() => runtime.stop());
  for (let key = 0; key < 16; key++) assert.equal((await request(`${runtime.proxy}/tolerant`, { headers: { 'x-key': `fill-${key}` } })).status, 200);
  // Keys already counted keep being limited exactly.
  for (let i = 0; i < 2; i++) assert.equal((await request(`${runtime.proxy}/tolerant`, { headers: { 'x-key': 'fill-0' } })).status, 200);
  assert.equal((await request(`${runtime.proxy}/tolerant`, { headers: { 'x-key': 'fill-0' } })).status, 429);

  // A new key finds no slot: with fault_tolerant (Kong's default) it passes uncounted, every time.
  for (let i = 0; i < 5; i++) {
    const reply = await request(`${runtime.proxy}/tolerant`, { headers: { 'x-key': 'newcomer' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-ratelimit-remaining-hour'], undefined, 'not counted, so no count is claimed');
  }
  // Without fault_tolerant: Kong's 500 on a policy error.
  const strict = await request(`${runtime.proxy}/strict`, { headers: { 'x-key': 'newcomer' } });
  assert.equal(strict.status, 500);
  assert.deepEqual(strict.json(), { message: 'An unexpected error occurred' });

  const metrics = (await request(`${runtime.admin}/metrics`)).body;
  assert.equal(metric(metrics, 'sluice_rate_limiting_table_full_total'), 6);
  const warnings = runtime.logs.filter((line) => typeof line.msg === 'string' && line.msg.startsWith('rate-limiting: shared counter table is full'));
  assert.ok(warnings.length >= 1, 'warned');
  const seconds = warnings.map((line) => String(line.time).slice(0, 19));
  assert.equal(new Set(seconds).size, seconds.length, `at most one warning a second: ${seconds.join(', ')}`);
  assert.ok(warnings.every((line) => line.level === 'warn' && line.slots_per_period === 16));
});
